/**
 * Plumbing shared by every bench server, whatever its runtime: the `LISTENING <port>` line,
 * the `/stats` body and the exit rules (stdin closed or SIGTERM). Only `node:process` is used,
 * which Deno, Bun and Node all provide, so one file serves the three runtimes.
 */
import process from "node:process";
import { readFileSync } from "node:fs";

/** What `GET /stats` answers: the server process's own CPU time and resident memory. */
export interface ServerStats {
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rss: number;
  /**
   * The anonymous part of `rss` (Linux `RssAnon` + `RssShmem`): the process's own memory, without
   * the pages of the runtime's executable and libraries, which come in once when code first runs
   * (a JIT tier compiling adds megabytes at once). `rss` where /proc is not readable.
   */
  rssAnon: number;
}

/** `RssAnon` + `RssShmem` of this process in bytes, or `fallback` when /proc is not readable. */
function anonymousRss(fallback: number): number {
  try {
    const status = readFileSync("/proc/self/status", "utf8");
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    const total = kib("RssAnon") + kib("RssShmem");
    return Number.isFinite(total) ? total * 1024 : fallback;
  } catch {
    return fallback;
  }
}

/** The path every bench server answers with {@link statsBody}. */
export const STATS_PATH = "/stats";

/**
 * Runs a full garbage collection where the runtime offers one (Bun always; Node and Deno when
 * the runner starts them with `--expose-gc`), so RSS counts what connections keep, not garbage
 * that has not been collected yet. Every row gets the same treatment.
 */
function collectGarbage(): void {
  const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
  if (bun !== undefined) bun.gc(true);
  else (globalThis as { gc?: () => void }).gc?.();
}

/** Reads this process's CPU time (all threads) and RSS, after a full garbage collection. */
export function readStats(): ServerStats {
  collectGarbage();
  const cpu = process.cpuUsage();
  const rss = process.memoryUsage().rss;
  return { cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system, rss, rssAnon: anonymousRss(rss) };
}

/** The JSON body of `GET /stats`. */
export function statsBody(): string {
  return JSON.stringify(readStats());
}

/** A fresh `Response` for `GET /stats`, for servers built on the Fetch API. */
export function statsResponse(): Response {
  return new Response(statsBody(), { headers: { "content-type": "application/json" } });
}

/** Tells the runner the server is ready: one line `LISTENING <port>` on stdout. */
export function announce(port: number): void {
  process.stdout.write(`LISTENING ${port}\n`);
}

/**
 * Exits the process when stdin closes (the runner died or let go) or on SIGTERM/SIGINT.
 * `stop` may close the listener first; the process exits regardless after it.
 */
export function exitWithParent(stop?: () => unknown): void {
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    try {
      void stop?.();
    } catch {
      // exiting anyway
    }
    process.exit(0);
  };
  process.stdin.on("end", finish);
  process.stdin.on("close", finish);
  process.stdin.on("error", finish);
  process.stdin.resume();
  process.on("SIGTERM", finish);
  process.on("SIGINT", finish);
}
