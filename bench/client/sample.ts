/**
 * Measurement-window bookkeeping for the load client: at each end of a window it reads the
 * server's `/stats`, its own CPU time and the machine's busy time, and turns two such samples
 * into a {@link WindowCost}.
 */
import process from "node:process";
import { performance } from "node:perf_hooks";
import { machineBusyMicros } from "../proc_stat.ts";
import type { ServerStats } from "../servers/server_kit.ts";
import type { WindowCost } from "../types.ts";

/** One end of a measurement window. */
export interface Sample {
  atMs: number;
  server: ServerStats;
  clientCpuMicros: number;
  machineCpuMicros: number;
}

/** Fetches `GET <origin>/stats` from a bench server. */
export async function fetchStats(origin: string): Promise<ServerStats> {
  const response = await fetch(`${origin}/stats`);
  if (!response.ok) throw new Error(`/stats answered ${response.status}`);
  return (await response.json()) as ServerStats;
}

/** Takes a sample now. */
export async function takeSample(origin: string): Promise<Sample> {
  const server = await fetchStats(origin);
  const own = process.cpuUsage();
  return {
    atMs: performance.now(),
    server,
    clientCpuMicros: own.user + own.system,
    machineCpuMicros: machineBusyMicros(),
  };
}

/** The CPU and memory accounting between two samples. */
export function windowCost(before: Sample, after: Sample): WindowCost {
  const seconds = (after.atMs - before.atMs) / 1000;
  const serverCpuMicros =
    after.server.cpuUserMicros + after.server.cpuSystemMicros -
    (before.server.cpuUserMicros + before.server.cpuSystemMicros);
  const clientCpuMicros = after.clientCpuMicros - before.clientCpuMicros;
  const machineCpuMicros = after.machineCpuMicros - before.machineCpuMicros;
  const other = machineCpuMicros > 0 ? Math.max(0, machineCpuMicros - serverCpuMicros - clientCpuMicros) : 0;
  return {
    seconds,
    serverCpuMicros,
    clientCpuMicros,
    machineCpuMicros,
    otherCoreFraction: seconds > 0 ? other / (seconds * 1e6) : 0,
    rssBefore: before.server.rss,
    rssAfter: after.server.rss,
    rssAnonBefore: after.server.rssAnon === undefined ? before.server.rss : before.server.rssAnon,
    rssAnonAfter: after.server.rssAnon === undefined ? after.server.rss : after.server.rssAnon,
  };
}
