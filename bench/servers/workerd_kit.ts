/**
 * Runs a bench Worker on workerd: bundles it with esbuild, serves it with Miniflare on
 * 127.0.0.1 port 0 (no network: `cf: false`), prints `LISTENING <port>`, and answers the
 * Worker's `/stats` (forwarded to the `STATS` service binding) with workerd's own CPU time and
 * memory, read from `/proc` for the workerd process this one started: all of the server's work
 * (routing, the Worker, its Durable Objects) happens in that process.
 */
import { build } from "esbuild";
import { Miniflare, Response as MiniflareResponse, supportedCompatibilityDate } from "miniflare";
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { announce, exitWithParent } from "./server_kit.ts";

/** Linux reports /proc/<pid>/stat times in USER_HZ ticks, 100 per second. */
const MICROS_PER_TICK = 10_000;

/** The pid of the workerd process this one started (a child named `workerd`). */
function workerdPid(): number {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === process.pid && name.startsWith("workerd")) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error("workerd process not found");
}

function workerdStats(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0);
  return JSON.stringify({
    cpuUserMicros: Number(fields[11]) * MICROS_PER_TICK,
    cpuSystemMicros: Number(fields[12]) * MICROS_PER_TICK,
    rss: kib("VmRSS") * 1024,
    rssAnon: (kib("RssAnon") + kib("RssShmem")) * 1024,
  });
}

/** Serves the Worker at `entry` (a file URL) with Durable Object bindings `durableObjects`. */
export async function serveOnWorkerd(entry: URL, durableObjects: Record<string, string>): Promise<void> {
  const bundled = await build({
    entryPoints: [decodeURIComponent(entry.pathname)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    logLevel: "silent",
  });
  let pid = 0;
  const mf = new Miniflare({
    modules: true,
    script: bundled.outputFiles[0]!.text,
    compatibilityDate: supportedCompatibilityDate,
    durableObjects,
    serviceBindings: {
      STATS: () => new MiniflareResponse(workerdStats(pid ||= workerdPid()), { headers: { "content-type": "application/json" } }),
    },
    port: 0,
    host: "127.0.0.1",
    cf: false,
  });
  try {
    const url = await mf.ready;
    pid = workerdPid();
    announce(Number(url.port));
  } catch (error) {
    await mf.dispose();
    throw error;
  }
  exitWithParent(() => mf.dispose());
}
