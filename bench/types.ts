/** Types shared by the runner, the load client and the report. */

/** The four workloads the benchmark measures. */
export type Workload = "echo" | "chat" | "connect" | "idle";

/** Every workload, in the order one server run executes them (idle first: a fresh heap). */
export const WORKLOADS: readonly Workload[] = ["idle", "echo", "chat", "connect"];

/** The runtimes a bench server can run on. */
/** `workerd`: Cloudflare's runtime, started by a Node process through Miniflare. */
export type Runtime = "deno" | "bun" | "node" | "workerd";

/** Which side of the comparison a row is. */
export type RowKind = "native" | "hono" | "plinth";

/** Which runtime executes the load client. */
export type ClientRuntime = "node" | "bun";

/** Tuning of the workloads; the same for every row of a run. */
export interface WorkloadParams {
  echoClients: number;
  echoWindow: number;
  chatClients: number;
  chatWindow: number;
  messageBytes: number;
  connectConcurrency: number;
  idleConnections: number;
}

/** What the runner asks one load-client process to do. */
export interface ClientJob {
  /** A workload, `smoke`, or `handshakes` (a fixed count, see `bench/handshake_cost.ts`). */
  workload: Workload | "smoke" | "handshakes";
  /** For `handshakes`: how many to measure. */
  handshakes?: number;
  /** `http://127.0.0.1:<port>`; the client derives `ws://` URLs and `/stats` from it. */
  origin: string;
  warmupSeconds: number;
  durationSeconds: number;
  params: WorkloadParams;
}

/** CPU accounting over one measurement window, from the processes' own counters and /proc/stat. */
export interface WindowCost {
  seconds: number;
  serverCpuMicros: number;
  clientCpuMicros: number;
  /** Busy CPU time of the whole machine during the window (from /proc/stat). */
  machineCpuMicros: number;
  /** Machine busy time not spent by server or client, as a fraction of one core. */
  otherCoreFraction: number;
  rssBefore: number;
  rssAfter: number;
  /** The anonymous part of the server's RSS at each end (see `ServerStats.rssAnon`). */
  rssAnonBefore: number;
  rssAnonAfter: number;
}

/** What a load-client process reports for one workload run. */
export interface ClientResult {
  workload: Workload;
  /** Operations in the measurement window: messages delivered, handshakes, or connections. */
  ops: number;
  /** ops per second (for idle: the number of connections held). */
  rate: number;
  cost: WindowCost;
  /** Server CPU microseconds per operation. */
  serverCpuMicrosPerOp: number;
  p50Ms?: number;
  p99Ms?: number;
  /** Per-second delivery counts after the dropped first window (chat). */
  windows?: number[];
  /** Server memory growth per idle connection: anonymous RSS (idle). */
  bytesPerConnection?: number;
  /** The same from the whole RSS, executable pages included (idle). */
  rssBytesPerConnection?: number;
  errors: number;
}
