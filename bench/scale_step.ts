/**
 * One step of the scale curve on one row: a fresh server, `connections` silent sockets to
 * `/room` held by the client pool, and at that size: memory per connection (the idle workload's
 * settled anonymous-RSS method), handshakes per second, server CPU while idle, and the time one
 * broadcast takes to reach every socket.
 */
import { join } from "node:path";
import { takeSample } from "./client/sample.ts";
import { settledSample, SETTLE_MS, WARMUP_CONNECTIONS } from "./client/idle.ts";
import { sleep, wsUrl } from "./client/timing.ts";
import { cpuMicrosBetween, type CpuSnapshot, cpuSnapshot, machineBusyMicros } from "./proc_stat.ts";
import type { ClientPool } from "./scale_clients.ts";
import type { ScaleRow } from "./scale_rows.ts";
import { waitForQuiet } from "./quiet.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { startServer } from "./server_process.ts";
import type { BroadcastTiming } from "./servers/scale_kit.ts";
import { median } from "./stats.ts";

/** How a step is measured. */
export interface StepParams {
  connections: number;
  /** Handshakes in flight over all clients. */
  concurrency: number;
  idleSeconds: number;
  broadcasts: number;
  idleTimeoutMs: number;
  pingIntervalMs: number;
  /** Smoke: no settled memory samples and short waits (checks the tooling, measures nothing). */
  smoke: boolean;
  /** Before the idle window, wait (up to 2 s) until other processes use at most this many cores. */
  quietCores: number;
}

/** One broadcast, in ms after the server's clock just before the publish call. */
export interface BroadcastResult {
  firstMs: number;
  lastMs: number;
  /** How long the publish call itself took in the server. */
  publishCallMs: number;
  /**
   * Server CPU from just before the request to the last receipt (the publish call, the writes
   * after it, the request): unlike the times above, not stretched when other processes take the CPU.
   */
  serverCpuMs: number;
  received: number;
}

/** The figures of one step on one row. */
export interface StepResult {
  rowId: string;
  connections: number;
  opened: number;
  errors: number;
  bytesPerConnection: number;
  rssBytesPerConnection: number;
  handshakesPerSecond: number;
  serverCpuMicrosPerHandshake: number;
  /** Server CPU while every connection sat idle (timers and heartbeat only), µs per second. */
  idleCpuMicrosPerSecond: number;
  /** Cores other processes used during the idle window (machine busy − server − clients). */
  idleOtherCores: number;
  /** Seconds waited in all for other processes to quiet down. */
  quietWaitSeconds: number;
  broadcasts: BroadcastResult[];
  /** Medians over the broadcasts. */
  broadcastFirstMs: number;
  broadcastLastMs: number;
  publishCallMs: number;
  broadcastCpuMs: number;
  /** Sockets the clients still held after the idle window and the broadcasts. */
  openAtEnd: number;
}

/** Longest wait for other processes to quiet down before a timed window. */
const QUIET_WAIT_MS = 2_000;

function clientSnapshots(pool: ClientPool): CpuSnapshot[] {
  return pool.pids.map(cpuSnapshot);
}

function clientCpuBetween(before: CpuSnapshot[], after: CpuSnapshot[]): number {
  return after.reduce((sum, snapshot, i) => sum + cpuMicrosBetween(before[i] ?? new Map(), snapshot), 0);
}

async function broadcastOnce(origin: string, pid: number, pool: ClientPool, expected: number): Promise<BroadcastResult> {
  await pool.reset();
  const cpuBefore = cpuSnapshot(pid);
  const response = await fetch(`${origin}/broadcast`);
  if (!response.ok) throw new Error(`/broadcast answered ${response.status}`);
  const timing = (await response.json()) as BroadcastTiming;
  const deadline = Date.now() + 10_000;
  let receipts = await pool.receipts();
  while (receipts.received < expected && Date.now() < deadline) {
    await sleep(20);
    receipts = await pool.receipts();
  }
  const serverCpuMs = cpuMicrosBetween(cpuBefore, cpuSnapshot(pid)) / 1000;
  return {
    firstMs: receipts.first - timing.t0,
    lastMs: receipts.last - timing.t0,
    publishCallMs: timing.t1 - timing.t0,
    serverCpuMs,
    received: receipts.received,
  };
}

/** Measures `row` at `params.connections` with the clients of `pool`. */
export async function measureStep(row: ScaleRow, params: StepParams, pool: ClientPool): Promise<StepResult> {
  const env: Record<string, string> = {
    ...row.env,
    PLINTH_SCALE_IDLE_TIMEOUT_MS: String(params.idleTimeoutMs),
    PLINTH_SCALE_PING_INTERVAL_MS: String(params.pingIntervalMs),
  };
  const server = await startServer(row.runtime, join(BENCH_DIR, row.file), { env });
  try {
    const url = wsUrl(server.origin, "/room");
    const n = params.connections;
    // Warm-up: first-use allocations are not the connections' (as the idle workload does).
    await pool.open(url, Math.min(WARMUP_CONNECTIONS, n), params.concurrency);
    await pool.closeAll();
    if (!params.smoke) await sleep(SETTLE_MS);
    const before = params.smoke ? await takeSample(server.origin) : await settledSample(server.origin);

    const cpuBeforeOpen = cpuSnapshot(server.pid);
    const opening = await pool.open(url, n, params.concurrency);
    const openCpu = cpuMicrosBetween(cpuBeforeOpen, cpuSnapshot(server.pid));
    if (!params.smoke) await sleep(SETTLE_MS);
    const after = params.smoke ? await takeSample(server.origin) : await settledSample(server.origin);

    const waited = params.smoke ? 0 : await waitForQuiet(params.quietCores, QUIET_WAIT_MS);
    // Idle: read from outside (/proc), so the reading costs the server nothing.
    const idleStart = { server: cpuSnapshot(server.pid), clients: clientSnapshots(pool), machine: machineBusyMicros(), at: performance.now() };
    await sleep(params.idleSeconds * 1000);
    const seconds = (performance.now() - idleStart.at) / 1000;
    const idleServer = cpuMicrosBetween(idleStart.server, cpuSnapshot(server.pid));
    const idleClients = clientCpuBetween(idleStart.clients, clientSnapshots(pool));
    const idleMachine = machineBusyMicros() - idleStart.machine;

    const broadcasts: BroadcastResult[] = [];
    for (let i = 0; i < params.broadcasts; i++) {
      broadcasts.push(await broadcastOnce(server.origin, server.pid, pool, opening.opened));
      await sleep(params.smoke ? 10 : 150);
    }
    const openAtEnd = (await pool.receipts()).open;
    await pool.closeAll();
    return {
      rowId: row.id,
      connections: n,
      opened: opening.opened,
      errors: opening.errors,
      bytesPerConnection: (after.server.rssAnon - before.server.rssAnon) / opening.opened,
      rssBytesPerConnection: (after.server.rss - before.server.rss) / opening.opened,
      handshakesPerSecond: opening.opened / (opening.ms / 1000),
      serverCpuMicrosPerHandshake: openCpu / opening.opened,
      idleCpuMicrosPerSecond: idleServer / seconds,
      idleOtherCores: Math.max(0, idleMachine - idleServer - idleClients) / (seconds * 1e6),
      quietWaitSeconds: waited / 1000,
      broadcasts,
      broadcastFirstMs: median(broadcasts.map((b) => b.firstMs)),
      broadcastLastMs: median(broadcasts.map((b) => b.lastMs)),
      publishCallMs: median(broadcasts.map((b) => b.publishCallMs)),
      broadcastCpuMs: median(broadcasts.map((b) => b.serverCpuMs)),
      openAtEnd,
    };
  } finally {
    await pool.closeAll().catch(() => {});
    await server.stop();
  }
}
