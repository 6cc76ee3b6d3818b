/**
 * Load: `LOAD_SESSIONS` (2,000) concurrent sessions each echoing numbered
 * messages through the send channel for 10 s (60 s in the full run), the
 * server in its own process on this runtime and adapter, the client (Node +
 * `ws`) in another. Nothing lost or reordered, every session closed and
 * booked, `openSessions` empty, and the server's RSS not growing from the
 * middle to the last third of the run: the floor (lowest sample, every
 * 250 ms — what the process returns to after collecting garbage, which a
 * leak raises) of the last third within 10% of the middle third's. Medians
 * and a trace are reported too; they swing ±20% with collection timing.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ADAPTER, RUNTIME } from "../support/runtime.ts";
import { commandFor, JsonChild } from "./child_process.ts";
import { quantile } from "./fill_channel.ts";
import { mib } from "./process_watch.ts";
import { envNumber, pick, recordResult } from "./scale.ts";

const SESSIONS = envNumber("LOAD_SESSIONS", 2000);
const DURATION_MS = envNumber("LOAD_DURATION_MS", pick(10_000, 60_000));
const RATE = envNumber("LOAD_RATE", 1);
/** The last third's RSS floor may exceed the middle third's by at most this fraction. */
const RSS_GROWTH_TOLERANCE = 0.1;

/** RSS in MiB at six evenly spaced points of `window`, for the report. */
function thirdsTrace(window: readonly number[]): string {
  const points = [0, 0.2, 0.4, 0.6, 0.8, 1].map((f) => window[Math.min(window.length - 1, Math.floor(f * (window.length - 1)))] ?? 0);
  return points.map((rss) => Math.round(mib(rss))).join("→");
}

test(`load: ${SESSIONS} sessions echoing for ${DURATION_MS / 1000} s, nothing lost, memory flat [${ADAPTER}]`, { timeout: DURATION_MS + 120_000 }, async () => {
  const server = new JsonChild(commandFor(RUNTIME, "tests/reliability/echo_server_main.ts"), { PLINTH_ADAPTER: ADAPTER, SEND_BUFFER: "16" });
  let client: JsonChild | undefined;
  try {
    const { url } = (await server.waitFor("listening", 30_000)) as { url: string };
    client = new JsonChild(commandFor("node", "tests/reliability/load_client_main.ts"), {
      URL: `${url.replace(/^http/, "ws")}/echo`,
      SESSIONS: String(SESSIONS),
      DURATION_MS: String(DURATION_MS),
      RATE: String(RATE),
    });
    const connected = await client.waitFor("connected", 60_000);
    const stopping = await client.waitFor("stopping", DURATION_MS + 30_000);
    const done = await client.waitFor("done", 60_000);
    const statsResponse = await fetch(`${url}/stats?samples`);
    const stats = (await statsResponse.json()) as Record<string, unknown> & { samples: [number, number, number][]; startedAt: number };
    await (await fetch(`${url}/shutdown?timeoutMs=2000`)).text();
    const shutdown = await server.waitFor("shutdown", 30_000);
    const exit = await server.waitExit(10_000);

    // RSS during the sending window, split in thirds.
    const from = (connected.at as number) - stats.startedAt;
    const to = (stopping.at as number) - stats.startedAt;
    const inWindow = stats.samples.filter(([t]) => t >= from && t <= to);
    const window = inWindow.map(([, rss]) => rss);
    const heap = inWindow.map(([, , used]) => used);
    const third = Math.floor(window.length / 3);
    const middle = quantile(window.slice(third, 2 * third), 0.5);
    const last = quantile(window.slice(2 * third), 0.5);
    const floorMiddle = Math.min(...window.slice(third, 2 * third));
    const floorLast = Math.min(...window.slice(2 * third));
    const growth = (floorLast - floorMiddle) / floorMiddle;
    const heapMiddle = quantile(heap.slice(third, 2 * third), 0.5);
    const heapLast = quantile(heap.slice(2 * third), 0.5);
    recordResult({
      fault: "load",
      numbers: {
        sessions: done.sessions as number,
        seconds: DURATION_MS / 1000,
        messages: done.sent as number,
        echoed: done.received as number,
        lost: done.lost as number,
        reordered: done.reordered as number,
        msgPerSec: done.rateAchieved as number,
        rttP50ms: done.rttP50ms as number,
        rttP99ms: done.rttP99ms as number,
        connectMs: connected.connectMs as number,
        rssMiddleMiB: mib(middle),
        rssLastMiB: mib(last),
        rssFloorMiddleMiB: mib(floorMiddle),
        rssFloorLastMiB: mib(floorLast),
        rssFloorGrowthPct: Math.round(growth * 1000) / 10,
        heapMiddleMiB: mib(heapMiddle),
        heapLastMiB: mib(heapLast),
        peakRssMiB: mib(shutdown.peakRss as number),
        samples: window.length,
        rssTrace: thirdsTrace(window),
      },
    });
    assert.equal(done.sessions, SESSIONS);
    assert.ok((done.sent as number) > 0);
    assert.equal(done.lost, 0, "no message lost");
    assert.equal(done.reordered, 0, "no message reordered");
    assert.equal(done.closedWith1000, SESSIONS, "every session closed with 1000");
    assert.equal(shutdown.opened, SESSIONS);
    assert.equal(shutdown.closed, SESSIONS);
    assert.equal(shutdown.openSessions, 0);
    assert.deepEqual(shutdown.faults, [], "one onClose per onOpen, one result per target");
    assert.equal(shutdown.targetsIssued, done.sent);
    assert.deepEqual(shutdown.unhandledRejections, []);
    assert.ok(window.length >= 6, `${window.length} RSS samples`);
    assert.ok(growth <= RSS_GROWTH_TOLERANCE, `the RSS floor grew ${(growth * 100).toFixed(1)}% from the middle to the last third`);
    assert.notEqual(exit, null, "the server exited after shutdown");
  } finally {
    await client?.kill();
    await server.kill();
  }
});
