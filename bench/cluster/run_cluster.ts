/**
 * The `cluster` workload: one chat room spread over three server processes attached to one
 * redis-server, N clients on each, against the same room in one process, and against Socket.IO
 * with `@socket.io/redis-adapter` (three Node processes) — same clients, same machine, same run,
 * rows interleaved round by round.
 *
 * Per row and round, two phases:
 * - **throughput** (closed loop): every client keeps `window` of its messages in flight; a
 *   message counts as done when it reaches the client's partner, a client of the *next* server
 *   (so the loop runs at the speed of the cross-process path). Deliveries — messages received by
 *   all clients, local and remote — are counted per second.
 * - **latency** (open loop): every client sends `rate` messages per second; each receiver notes
 *   now − the send time carried in the message (one clock: every client lives in this process).
 *   p50/p99 over all deliveries, and the share of expected deliveries that arrived.
 * Server CPU (all server processes and redis-server, from /proc) per 1,000 deliveries of the
 * throughput phase is beside it, which a busy shared machine disturbs less than a rate.
 *
 * `npx tsx bench/cluster/run_cluster.ts [--rounds N] [--clients N] [--duration S] [--only ids]`
 * (also `npm run bench -- --workloads cluster`). Writes `bench/cluster_results.json` unless
 * `--no-write`.
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { io as socketIo } from "socket.io-client";
import { WebSocket } from "ws";
import { BENCH_DIR, commandFor } from "../runtimes.ts";
import { machineInfo } from "../machine.ts";
import { machineBusyMicros } from "../proc_stat.ts";
import { median, quantile } from "../stats.ts";
import type { Runtime } from "../types.ts";
import { RedisServer, SKIP_WITHOUT_REDIS } from "../../tests/support/redis_server.ts";

/** One configuration measured. */
export interface ClusterRow {
  readonly id: string;
  readonly system: "plinth" | "socket.io";
  /** One runtime per server process. */
  readonly servers: readonly Runtime[];
  readonly redis: boolean;
  readonly what: string;
}

/** The rows, in the order of the first round. */
export const CLUSTER_ROWS: readonly ClusterRow[] = [
  { id: "plinth_1_node", system: "plinth", servers: ["node"], redis: false, what: "plinth, one Node process (all clients on it)" },
  { id: "plinth_3_node", system: "plinth", servers: ["node", "node", "node"], redis: true, what: "plinth, three Node processes, Redis backplane" },
  { id: "plinth_3_mixed", system: "plinth", servers: ["deno", "bun", "node"], redis: true, what: "plinth, a Deno, a Bun and a Node process, Redis backplane" },
  { id: "sio_1_node", system: "socket.io", servers: ["node"], redis: false, what: "Socket.IO, one Node process" },
  { id: "sio_3_node", system: "socket.io", servers: ["node", "node", "node"], redis: true, what: "Socket.IO, three Node processes, @socket.io/redis-adapter" },
];

/** Options of the workload. */
export interface ClusterOptions {
  rounds: number;
  /** Clients per server process (a one-process row gets three times as many). */
  clients: number;
  window: number;
  messageBytes: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Messages per second per client in the latency phase. */
  rate: number;
  only: string[];
  write: boolean;
}

export const DEFAULT_CLUSTER_OPTIONS: ClusterOptions = {
  rounds: 3,
  clients: 16,
  window: 4,
  messageBytes: 64,
  durationSeconds: 3,
  warmupSeconds: 1,
  rate: 5,
  only: [],
  write: true,
};

/** What one row measured in one round. */
export interface ClusterMeasurement {
  row: string;
  round: number;
  deliveriesPerSecond: number;
  /** Server CPU (every server process and redis-server) per 1,000 deliveries, in ms. */
  serverCpuMsPer1k: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  /** Share of the latency phase's expected deliveries that arrived. */
  delivered: number;
  /** CPU used by other processes on the machine during both phases, in cores (0 where /proc/stat is missing). */
  othersCores: number;
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---- processes ---------------------------------------------------------------------------------

/** CPU time of a process (user + system), in ms, from /proc; 0 where unreadable. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return 0;
  }
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

function startServer(row: ClusterRow, runtime: Runtime, redisUrl: string | null): Promise<Server> {
  const file = join(BENCH_DIR, "cluster", row.system === "plinth" ? "plinth_server.ts" : "socketio_server.ts");
  const [command, args] = commandFor(runtime, file);
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  if (redisUrl !== null) env.REDIS_URL = redisUrl;
  else delete env.REDIS_URL;
  const child = spawn(command, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${row.id}/${runtime}: no LISTENING in 30 s: ${output.slice(-2000)}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /^LISTENING (\d+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${match[1]}` });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${row.id}/${runtime}: exited (${code}) before listening: ${output.slice(-2000)}`));
    });
  });
}

async function stopServer(server: Server): Promise<void> {
  const { child } = server;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin!.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

// ---- clients -----------------------------------------------------------------------------------

interface RoomClient {
  send(text: string): void;
  close(): void;
}

function openClient(system: ClusterRow["system"], url: string, onMessage: (text: string) => void): Promise<RoomClient> {
  return new Promise((resolve, reject) => {
    if (system === "plinth") {
      const socket = new WebSocket(`${url.replace(/^http/, "ws")}/chat`);
      socket.on("message", (data, isBinary) => {
        if (!isBinary) onMessage(data.toString());
      });
      socket.once("open", () => resolve({ send: (text) => socket.send(text), close: () => socket.close() }));
      socket.once("error", reject);
    } else {
      const socket = socketIo(url, { transports: ["websocket"], forceNew: true, reconnection: false });
      socket.on("m", (text: string) => onMessage(text));
      socket.once("connect", () => resolve({ send: (text) => void socket.emit("m", text), close: () => void socket.close() }));
      socket.once("connect_error", reject);
    }
  });
}

/** `sender|phase|time|` padded to `bytes` with `x`. */
function messageText(sender: number, phase: string, bytes: number): string {
  const head = `${sender}|${phase}|${performance.now().toFixed(3)}|`;
  return head.length >= bytes ? head : head + "x".repeat(bytes - head.length);
}

// ---- one row -----------------------------------------------------------------------------------

async function measureRow(row: ClusterRow, round: number, options: ClusterOptions, redis: RedisServer | null): Promise<ClusterMeasurement> {
  const servers: Server[] = [];
  const clients: RoomClient[] = [];
  try {
    for (const runtime of row.servers) servers.push(await startServer(row, runtime, row.redis ? redis!.url : null));
    const perServer = row.servers.length === 1 ? options.clients * 3 : options.clients;
    const total = perServer * servers.length;
    /** Client i's partner: a client of the next server (of the same one in a one-process row). */
    const partner = (i: number): number => (i + options.clients) % total;
    const partnerOf = new Int32Array(total).fill(-1); // receiver → the sender it acknowledges
    for (let i = 0; i < total; i++) partnerOf[partner(i)] = i;

    let delivered = 0;
    let running = false;
    const warm = new Int32Array(total);
    const latencies: number[] = [];
    for (let i = 0; i < total; i++) {
      const receiver = i;
      const server = servers[Math.floor(i / perServer)]!;
      const client = await openClient(row.system, server.url, (text) => {
        const first = text.indexOf("|");
        const sender = Number(text.slice(0, first));
        const kind = text[first + 1];
        if (kind === "W") {
          warm[receiver]!++;
          return;
        }
        delivered++;
        if (kind === "L") {
          const time = Number(text.slice(first + 3, text.indexOf("|", first + 3)));
          latencies.push(performance.now() - time);
        } else if (kind === "T" && running && partnerOf[receiver] === sender) {
          clients[sender]!.send(messageText(sender, "T", options.messageBytes));
        }
      });
      clients.push(client);
    }
    // Every client hears every client (subscriptions in place everywhere) before measuring.
    const deadline = Date.now() + 10_000;
    for (let i = 0; i < total; i++) clients[i]!.send(messageText(i, "W", options.messageBytes));
    while (warm.some((count) => count < total)) {
      if (Date.now() > deadline) throw new Error(`warm-up: not every client heard every other (${Math.min(...warm)}/${total})`);
      await sleep(20);
    }

    // Throughput: closed loop through the partner on the next server.
    running = true;
    for (let i = 0; i < total; i++) for (let k = 0; k < options.window; k++) clients[i]!.send(messageText(i, "T", options.messageBytes));
    await sleep(options.warmupSeconds * 1000);
    const pids = [...servers.map((s) => s.child.pid), redis?.pid, process.pid];
    const ownMs = (): number => pids.reduce<number>((sum, pid) => sum + cpuMs(pid), 0);
    const busyBefore = machineBusyMicros() / 1000;
    const ownBefore = ownMs();
    const wallBefore = performance.now();
    const cpuBefore = ownMs() - cpuMs(process.pid);
    const countBefore = delivered;
    const started = performance.now();
    await sleep(options.durationSeconds * 1000);
    const count = delivered - countBefore;
    const seconds = (performance.now() - started) / 1000;
    const cpu = ownMs() - cpuMs(process.pid) - cpuBefore;
    running = false;
    // Let every queue drain (the loop is gated by one partner per sender, not by every receiver).
    let last = -1;
    for (let waited = 0; waited < 15_000 && delivered !== last; waited += 300) {
      last = delivered;
      await sleep(300);
    }

    // Latency: open loop at a modest rate, staggered.
    const before = delivered;
    const interval = 1000 / options.rate;
    let sent = 0;
    const timers: ReturnType<typeof setInterval>[] = [];
    for (let i = 0; i < total; i++) {
      const sender = i;
      timers.push(setTimeout(() => {
        timers.push(setInterval(() => {
          sent++;
          clients[sender]!.send(messageText(sender, "L", options.messageBytes));
        }, interval));
      }, (interval * i) / total));
    }
    await sleep(options.durationSeconds * 1000);
    for (const timer of timers) clearInterval(timer);
    await sleep(1000);
    const latencyDelivered = delivered - before;
    const busyMs = machineBusyMicros() / 1000 - busyBefore;
    const othersCores = busyMs === 0 ? 0 : Math.max(0, busyMs - (ownMs() - ownBefore)) / (performance.now() - wallBefore);
    return {
      row: row.id,
      round,
      deliveriesPerSecond: count / seconds,
      serverCpuMsPer1k: (cpu / Math.max(1, count)) * 1000,
      latencyP50Ms: quantile(latencies, 0.5),
      latencyP99Ms: quantile(latencies, 0.99),
      delivered: latencyDelivered / Math.max(1, sent * total),
      othersCores,
    };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(servers.map(stopServer));
  }
}

// ---- the run -----------------------------------------------------------------------------------

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : "–");

/** The table of medians over rounds. */
export function clusterTable(rows: readonly ClusterRow[], measurements: readonly ClusterMeasurement[]): string {
  const lines = [
    "| row | what | deliveries/s | server CPU ms / 1k deliveries | latency p50 ms | latency p99 ms | delivered (latency phase) | other processes (cores) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const row of rows) {
    const ok = measurements.filter((m) => m.row === row.id && m.error === undefined);
    if (ok.length === 0) {
      lines.push(`| \`${row.id}\` | ${row.what} | failed | | | | | |`);
      continue;
    }
    const m = (pick: (x: ClusterMeasurement) => number) => median(ok.map(pick));
    lines.push(
      `| \`${row.id}\` | ${row.what} | ${Math.round(m((x) => x.deliveriesPerSecond)).toLocaleString("en-US")} | ${
        fixed(m((x) => x.serverCpuMsPer1k), 1)
      } | ${fixed(m((x) => x.latencyP50Ms), 1)} | ${fixed(m((x) => x.latencyP99Ms), 1)} | ${fixed(m((x) => x.delivered) * 100, 1)}% | ${fixed(m((x) => x.othersCores), 2)} |`,
    );
  }
  return lines.join("\n");
}

/** Runs the cluster workload: every selected row, `rounds` times, order rotated per round. */
export async function runCluster(options: ClusterOptions, log: (line: string) => void): Promise<ClusterMeasurement[]> {
  if (SKIP_WITHOUT_REDIS !== undefined) {
    log(`cluster: skipped — ${SKIP_WITHOUT_REDIS}`);
    return [];
  }
  const rows = CLUSTER_ROWS.filter((row) => options.only.length === 0 || options.only.includes(row.id));
  if (rows.length === 0) throw new Error(`--only: no cluster row among ${options.only.join(", ")}`);
  const redis = await RedisServer.start();
  const measurements: ClusterMeasurement[] = [];
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = rows.map((_, i) => rows[(i + round) % rows.length]!);
      for (const row of order) {
        try {
          const m = await measureRow(row, round, options, redis);
          measurements.push(m);
          log(`cluster round ${round + 1} ${row.id}: ${Math.round(m.deliveriesPerSecond)} deliveries/s, ${fixed(m.serverCpuMsPer1k, 1)} ms CPU/1k, p50 ${fixed(m.latencyP50Ms, 1)} ms, p99 ${fixed(m.latencyP99Ms, 1)} ms, ${fixed(m.delivered * 100, 1)}% delivered, others ${fixed(m.othersCores, 2)} cores`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          measurements.push({ row: row.id, round, deliveriesPerSecond: NaN, serverCpuMsPer1k: NaN, latencyP50Ms: NaN, latencyP99Ms: NaN, delivered: NaN, othersCores: NaN, error: message });
          log(`cluster round ${round + 1} ${row.id}: FAILED ${message}`);
        }
      }
    }
  } finally {
    await redis.stop();
  }
  log(`\n${clusterTable(rows, measurements)}\n`);
  if (options.write) {
    const command = `npx tsx bench/cluster/run_cluster.ts ${process.argv.slice(2).join(" ")}`.trim();
    writeFileSync(
      join(BENCH_DIR, "cluster_results.json"),
      `${JSON.stringify({ command, finishedAt: new Date().toISOString(), machine: machineInfo(), options, rows, measurements }, null, 2)}\n`,
    );
    log("wrote bench/cluster_results.json");
  }
  return measurements;
}

/** Reads the cluster options from `argv` (unknown flags are left to the caller). */
export function parseClusterOptions(argv: readonly string[]): ClusterOptions {
  const options = { ...DEFAULT_CLUSTER_OPTIONS, only: [] as string[] };
  const number = (flag: string): number | undefined => {
    const at = argv.indexOf(flag);
    if (at < 0) return undefined;
    const value = Number(argv[at + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${flag} must be a positive number, got ${argv[at + 1]}`);
    return value;
  };
  options.rounds = number("--rounds") ?? options.rounds;
  options.clients = number("--cluster-clients") ?? number("--clients") ?? options.clients;
  options.window = number("--cluster-window") ?? options.window;
  options.messageBytes = number("--message-bytes") ?? options.messageBytes;
  options.durationSeconds = number("--duration") ?? options.durationSeconds;
  options.warmupSeconds = number("--warmup") ?? options.warmupSeconds;
  options.rate = number("--cluster-rate") ?? options.rate;
  const only = argv.indexOf("--cluster-only");
  if (only >= 0) options.only = (argv[only + 1] ?? "").split(",").filter(Boolean);
  if (argv.includes("--no-write")) options.write = false;
  return options;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, "/"))) {
  const argv = process.argv.slice(2);
  const onlyAt = argv.indexOf("--only");
  if (onlyAt >= 0) argv.splice(onlyAt, 1, "--cluster-only");
  runCluster(parseClusterOptions(argv), (line) => console.log(line)).then(
    (measurements) => process.exit(measurements.some((m) => m.error !== undefined) ? 1 : 0),
    (error: unknown) => {
      console.error(error);
      process.exit(2);
    },
  );
}
