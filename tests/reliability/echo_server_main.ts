/**
 * The reliability suite's server process: the echo endpoint (send channel,
 * booked in a ledger) at `/echo`, served by the adapter `PLINTH_ADAPTER`
 * names, on 127.0.0.1. It prints JSON lines on stdout:
 * `{"event":"listening","url":…}`, then after `GET /shutdown?timeoutMs=N`
 * `{"event":"shutdown",…}` with how long `shutdown()` took and the ledger.
 * After shutting down it just returns: the process must then exit by itself.
 * `GET /stats` answers the ledger and the RSS samples (one every
 * `RSS_SAMPLE_MS`, default 250 ms). A safety timer that does not keep the
 * process alive ends it after `LIFETIME_MS` (default 10 minutes).
 *
 * `PLINTH_ADAPTER=node npx tsx tests/reliability/echo_server_main.ts`
 * @module
 */
import process from "node:process";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { ADAPTER, RUNTIME } from "../support/runtime.ts";
import { echoEndpoint } from "./echo_endpoint.ts";
import { rssBytes, watchUnhandledRejections } from "./process_watch.ts";
import { envNumber } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

/** Keeps `timer` from holding the process open, on every runtime. */
function unref(timer: ReturnType<typeof setTimeout>): void {
  if (typeof timer === "number") (globalThis as unknown as { Deno: { unrefTimer(id: number): void } }).Deno.unrefTimer(timer);
  else (timer as { unref(): void }).unref();
}

const print = (message: Record<string, unknown>): void => console.log(JSON.stringify(message));

const ledger = new SessionLedger();
const rejections = watchUnhandledRejections();
const container = createContainer({ logger: ledger.logger, defaultPingIntervalMs: envNumber("PING_INTERVAL_MS", 30_000) });
let anySession: Session | undefined;
const endpoint = echoEndpoint(ledger, {
  sendBufferSize: envNumber("SEND_BUFFER", 16),
  settings: { maxSessions: envNumber("MAX_SESSIONS", 100_000) },
});
const onOpen = endpoint.onOpen!;
addEndpoint(container, "/echo", {
  ...endpoint,
  onOpen: (session, config) => {
    anySession ??= session;
    return onOpen(session, config);
  },
});

const started = Date.now();
/** [ms since start, RSS, V8 heap used] every `RSS_SAMPLE_MS`. */
const samples: [number, number, number][] = [];
let peakRss = rssBytes();
const sampleEvery = envNumber("RSS_SAMPLE_MS", 250);
const sampler = setInterval(() => {
  const rss = rssBytes();
  peakRss = Math.max(peakRss, rss);
  samples.push([Date.now() - started, rss, process.memoryUsage().heapUsed]);
}, sampleEvery);

const stats = (): Record<string, unknown> => ({
  opened: ledger.opened,
  closed: ledger.closed,
  openSessions: anySession?.openSessions.size ?? 0,
  closeCodes: ledger.closeCodes(),
  targetsIssued: ledger.targetsIssued,
  targetsAnswered: ledger.targetsAnswered,
  results: ledger.results,
  faults: ledger.faults(false).slice(0, 20),
  unhandledRejections: rejections.seen.map(String).slice(0, 5),
  rss: rssBytes(),
  peakRss,
});

let shuttingDown = false;
const server = await serveWith(container, {
  fallback: (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/stats") {
      return Response.json({ ...stats(), startedAt: started, samples: url.searchParams.has("samples") ? samples : undefined });
    }
    if (url.pathname === "/shutdown" && !shuttingDown) {
      shuttingDown = true;
      const timeoutMs = Number(url.searchParams.get("timeoutMs") ?? 5000);
      setTimeout(() => void shutdown(timeoutMs), 20);
      return new Response("shutting down\n");
    }
    return new Response("Not Found", { status: 404 });
  },
});

async function shutdown(timeoutMs: number): Promise<void> {
  const began = Date.now();
  await server.shutdown({ timeoutMs });
  const ms = Date.now() - began;
  clearInterval(sampler);
  // Give late rejections a moment to surface (50 ms, then nothing is left to wait for).
  await new Promise<void>((resolve) => setTimeout(resolve, 50));
  print({ event: "shutdown", ms, at: Date.now(), ...stats(), faults: ledger.faults(true).slice(0, 20) });
  rejections.stop();
}

unref(setTimeout(() => {
  print({ event: "lifetime-exceeded" });
  process.exit(3);
}, envNumber("LIFETIME_MS", 10 * 60_000)));

print({ event: "listening", url: server.url, pid: process.pid, runtime: RUNTIME, adapter: ADAPTER });
