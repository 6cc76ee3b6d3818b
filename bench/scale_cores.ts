/**
 * The "every core" row of the scale bench: plinth with the bench's chat workload
 * (`bench/client/chat.ts`), one process against one process per core behind one port
 * (`serve({ reusePort: true })`: two Deno or Bun processes; on Node a `node:cluster` primary with
 * one worker per core), rows alternating. The processes share the room through the Redis backplane
 * (a `redis-server` started on a free port); without `redis-server` each process's room holds only
 * the clients that process accepted.
 */
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { runClient } from "./client_process.ts";
import { cpuMicrosBetween, cpuSnapshot, machineBusyMicros } from "./proc_stat.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { type RunningServer, startServer } from "./server_process.ts";
import type { ClientJob, ClientResult, Runtime, WorkloadParams } from "./types.ts";
import { RedisServer, redisServerBinary } from "../tests/support/redis_server.ts";

/** One chat run on one layout. */
export interface CoresResult {
  runtime: Runtime;
  processes: number;
  /** Whether the processes shared the room through the Redis backplane. */
  backplane: boolean;
  round: number;
  deliveriesPerSecond: number;
  /** Server CPU over the whole client run (every server process), in cores. */
  serverCores: number;
  /** Machine busy cores over the whole client run. */
  machineCores: number;
  errors: number;
}

/** The runtimes that can share one port (workerd has no reusePort). */
export type PortSharingRuntime = Exclude<Runtime, "workerd">;

const FILES: Record<PortSharingRuntime, string> = {
  deno: "servers/scale_plinth_deno.ts",
  bun: "servers/scale_plinth_bun.ts",
  node: "servers/scale_plinth_node.ts",
};

/**
 * Starts `processes` plinth servers on one port; returns them and the pids that serve. Several
 * processes share the room through the Redis backplane at `redisUrl` ("" = none: a room per process).
 */
async function startLayout(runtime: PortSharingRuntime, processes: number, redisUrl: string): Promise<{ servers: RunningServer[]; pids: number[] }> {
  const file = join(BENCH_DIR, FILES[runtime]);
  if (processes === 1) {
    const server = await startServer(runtime, file);
    return { servers: [server], pids: [server.pid] };
  }
  const redis = { PLINTH_SCALE_REDIS_URL: redisUrl };
  if (runtime === "node") {
    const primary = await startServer(runtime, file, { pin: false, env: { ...redis, PLINTH_SCALE_CLUSTER: String(processes) } });
    const pids = (/^WORKERS (.*)$/m.exec(primary.stdout())?.[1] ?? "").split(" ").map(Number);
    return { servers: [primary], pids };
  }
  const first = await startServer(runtime, file, { pin: false, env: { ...redis, PLINTH_SCALE_REUSE_PORT: "1" } });
  const servers = [first];
  for (let i = 1; i < processes; i++) {
    servers.push(await startServer(runtime, file, { pin: false, env: { ...redis, PLINTH_SCALE_REUSE_PORT: "1", PLINTH_SCALE_PORT: String(first.port) } }));
  }
  return { servers, pids: servers.map((s) => s.pid) };
}

/** Runs the chat workload on every layout of every runtime, `rounds` times, layouts alternating. */
export async function runCores(
  runtimes: readonly PortSharingRuntime[],
  params: WorkloadParams,
  seconds: { warmup: number; duration: number },
  rounds: number,
  log: (line: string) => void,
): Promise<CoresResult[]> {
  const results: CoresResult[] = [];
  const layouts = [1, Math.max(2, availableParallelism())];
  const redis = redisServerBinary() === null ? null : await RedisServer.start();
  if (redis === null) log("cores: redis-server is not installed, so each process has its own room");
  try {
  for (let round = 1; round <= rounds; round++) {
    for (const runtime of runtimes) {
      for (const processes of round % 2 === 1 ? layouts : [...layouts].reverse()) {
        const { servers, pids } = await startLayout(runtime, processes, redis?.url ?? "");
        try {
          const job: ClientJob = { workload: "chat", origin: servers[0]!.origin, warmupSeconds: seconds.warmup, durationSeconds: seconds.duration, params };
          const cpuBefore = pids.map(cpuSnapshot);
          const machineBefore = machineBusyMicros();
          const started = performance.now();
          const result = await runClient<ClientResult>("bun", job, (seconds.warmup + seconds.duration + 60) * 1000);
          const wall = (performance.now() - started) * 1000;
          const cpu = pids.reduce((s, pid, i) => s + cpuMicrosBetween(cpuBefore[i] ?? new Map(), cpuSnapshot(pid)), 0);
          const entry: CoresResult = {
            runtime,
            processes,
            backplane: processes > 1 && redis !== null,
            round,
            deliveriesPerSecond: result.rate,
            serverCores: cpu / wall,
            machineCores: (machineBusyMicros() - machineBefore) / wall,
            errors: result.errors,
          };
          results.push(entry);
          log(`cores round ${round} ${runtime} × ${processes}${entry.backplane ? " (Redis backplane)" : ""}: ${Math.round(entry.deliveriesPerSecond).toLocaleString("en-US")} deliveries/s, server ${entry.serverCores.toFixed(2)} cores, machine ${entry.machineCores.toFixed(2)}${entry.errors > 0 ? `, ${entry.errors} errors` : ""}`);
        } finally {
          for (const server of servers) await server.stop();
        }
      }
    }
  }
  } finally {
    await redis?.stop();
  }
  return results;
}
