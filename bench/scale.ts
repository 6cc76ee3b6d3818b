/**
 * The scale bench's entry point: `npx tsx bench/scale.ts [options]` (`npm run bench:scale`).
 * How cost grows with the number of connections, per runtime, native control and plinth side by
 * side; method in bench/README.md ("Scale curve"), reading in docs/performance.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { machineInfo } from "./machine.ts";
import { defaults as benchDefaults } from "./options.ts";
import { fmt } from "./rounds.ts";
import { BENCH_DIR, ROOT_DIR } from "./runtimes.ts";
import { ClientPool } from "./scale_clients.ts";
import { SCALE_FIGURES } from "./scale_chart.ts";
import { runCores } from "./scale_cores.ts";
import type { PortSharingRuntime } from "./scale_cores.ts";
import { figureTable, type ScaleReport, writeScaleReport } from "./scale_report.ts";
import { SCALE_ROWS, type ScaleRow } from "./scale_rows.ts";
import { measureStep, type StepParams, type StepResult } from "./scale_step.ts";
import type { ClientRuntime, Runtime } from "./types.ts";

const USAGE = `usage: tsx bench/scale.ts [options]
  --smoke                 every row once at 20 connections, short waits; checks the tooling (npm test)
  --steps LIST            connection counts, "max" = the open-files limit less 500 (default 1000,5000,10000,max)
  --only LIST             rows or runtimes, e.g. bun or deno_native,deno_plinth (default all)
  --clients N             client processes sharing the connections (default 4)
  --client node|bun       the clients' runtime (default node: ws, each process from its own 127.0.0.x;
                          bun: Bun's WebSocket, all from 127.0.0.1)
  --concurrency N         handshakes in flight over all clients (default 64)
  --idle-seconds S        idle CPU window (default 3)
  --broadcasts N          broadcasts per step, median kept (default 5)
  --idle-timeout-ms N     the room's idle timeout (default 120000: longer than a step)
  --ping-interval-ms N    the room's heartbeat (default 1000; off while the core has no heartbeat)
  --cores-rounds N        rounds of the every-core chat row (default 2; 0 skips it)
  --quiet-cores F         before the idle window wait (up to 2 s) until other processes use ≤ F cores (default 0.3)
  --no-write              print only
  --rerender              rewrite scale.svg and the README section from scale_results.json (no measuring)`;

interface ScaleOptions {
  smoke: boolean;
  steps: number[];
  only: string[];
  clients: number;
  client: ClientRuntime;
  concurrency: number;
  idleSeconds: number;
  broadcasts: number;
  idleTimeoutMs: number;
  pingIntervalMs: number;
  coresRounds: number;
  quietCores: number;
  write: boolean;
}

const log = (line: string): void => console.log(line);

function openFilesLimit(): number {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = Number(line?.split(/\s{2,}/)[1]);
    return Number.isFinite(soft) ? soft : 4096;
  } catch {
    return 4096;
  }
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} needs a non-negative number, got ${value}`);
  return n;
}

function parse(argv: string[]): ScaleOptions {
  const max = openFilesLimit() - 500;
  const o: ScaleOptions = {
    smoke: false,
    steps: [1000, 5000, 10000, max],
    only: [],
    clients: 4,
    client: "node",
    concurrency: 64,
    idleSeconds: 3,
    broadcasts: 5,
    idleTimeoutMs: 120_000,
    pingIntervalMs: 1000,
    coresRounds: 2,
    quietCores: 0.3,
    write: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (arg) {
      case "--smoke":
        Object.assign(o, { smoke: true, steps: [20], clients: 2, concurrency: 8, idleSeconds: 0.2, broadcasts: 1, coresRounds: 0, write: false });
        break;
      case "--steps":
        o.steps = (next() ?? "").split(",").map((s) => (s === "max" ? max : positive("--steps", s)));
        break;
      case "--only":
        o.only = (next() ?? "").split(",").filter(Boolean);
        break;
      case "--clients": o.clients = positive(arg, next()); break;
      case "--client": {
        const value = next();
        if (value !== "node" && value !== "bun") throw new Error(`--client: node or bun, got ${value}`);
        o.client = value;
        break;
      }
      case "--concurrency": o.concurrency = positive(arg, next()); break;
      case "--idle-seconds": o.idleSeconds = positive(arg, next()); break;
      case "--broadcasts": o.broadcasts = positive(arg, next()); break;
      case "--idle-timeout-ms": o.idleTimeoutMs = positive(arg, next()); break;
      case "--ping-interval-ms": o.pingIntervalMs = positive(arg, next()); break;
      case "--cores-rounds": o.coresRounds = positive(arg, next()); break;
      case "--quiet-cores": o.quietCores = positive(arg, next()); break;
      case "--no-write": o.write = false; break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (o.steps.some((n) => n > max)) throw new RangeError(`--steps: at most ${max} connections (open-files limit ${max + 500} less 500)`);
  return o;
}

/** Whether the core has a heartbeat yet (`pingIntervalMs` in its endpoint options). */
function coreHasHeartbeat(): boolean {
  return readFileSync(join(ROOT_DIR, "src", "types.ts"), "utf8").includes("pingIntervalMs");
}

function selectRows(only: readonly string[]): ScaleRow[] {
  const unknown = only.filter((name) => !SCALE_ROWS.some((r) => r.id === name || r.runtime === name));
  if (unknown.length > 0) throw new Error(`--only: unknown row or runtime ${unknown.join(", ")}`);
  return SCALE_ROWS.filter((r) => (only.length === 0 || only.includes(r.id) || only.includes(r.runtime)) && existsSync(join(BENCH_DIR, r.file)));
}

function describeStep(s: StepResult): string {
  return `${fmt(s.opened)} open${s.errors > 0 ? ` (${s.errors} errors)` : ""}: ${fmt(s.bytesPerConnection)} B/conn, ${fmt(s.handshakesPerSecond)} hs/s (${fmt(s.serverCpuMicrosPerHandshake, 1)} µs CPU each), idle ${fmt(s.idleCpuMicrosPerSecond / 1000, 2)} ms CPU/s (other ${fmt(s.idleOtherCores, 2)} cores; waited ${fmt(s.quietWaitSeconds, 1)} s for quiet), broadcast first ${fmt(s.broadcastFirstMs, 1)} / last ${fmt(s.broadcastLastMs, 1)} ms, call ${fmt(s.publishCallMs, 1)} ms, ${fmt(s.broadcastCpuMs, 1)} ms CPU${s.openAtEnd !== s.opened ? `, ${fmt(s.openAtEnd)} still open` : ""}`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help")) {
    log(USAGE);
    return 0;
  }
  if (argv.includes("--rerender")) {
    const report = JSON.parse(readFileSync(join(BENCH_DIR, "scale_results.json"), "utf8")) as ScaleReport;
    writeScaleReport(report);
    log("rewrote bench/scale.svg and the scale section of bench/README.md from bench/scale_results.json");
    return 0;
  }
  const o = parse(argv);
  const rows = selectRows(o.only);
  if (rows.length === 0) throw new Error("no rows to run");
  const heartbeat = coreHasHeartbeat();
  const heartbeatNote = heartbeat || o.pingIntervalMs === 0 ? "" : "the core has no pingIntervalMs yet, so every row runs without a heartbeat";
  const pingIntervalMs = heartbeat ? o.pingIntervalMs : 0;
  const command = `npx tsx bench/scale.ts${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(`${command}\nrows: ${rows.map((r) => r.id).join(", ")}; steps: ${o.steps.join(", ")}; heartbeat: ${pingIntervalMs > 0 ? `${pingIntervalMs} ms` : `off${heartbeatNote ? ` (${heartbeatNote})` : ""}`}`);

  const steps: StepResult[] = [];
  const failures: string[] = [];
  const pool = new ClientPool(o.clients, o.client);
  try {
    for (const [si, connections] of o.steps.entries()) {
      const order = [...rows.slice(si % rows.length), ...rows.slice(0, si % rows.length)];
      for (const row of order) {
        const params: StepParams = { connections, concurrency: o.concurrency, idleSeconds: o.idleSeconds, broadcasts: o.broadcasts, idleTimeoutMs: o.idleTimeoutMs, pingIntervalMs, smoke: o.smoke, quietCores: o.quietCores };
        try {
          const step = await measureStep(row, params, pool);
          steps.push(step);
          log(`${fmt(connections).padStart(6)} ${row.id.padEnd(19)} ${describeStep(step)}`);
          if (step.opened < connections || step.broadcasts.some((b) => b.received < step.opened)) {
            failures.push(`${row.id} at ${connections}: ${step.opened} opened, broadcasts received ${step.broadcasts.map((b) => b.received).join("/")}`);
          }
        } catch (err) {
          const message = `${row.id} at ${connections}: ${err instanceof Error ? err.message : String(err)}`;
          failures.push(message);
          log(`FAILED ${message}`);
        }
      }
    }
  } finally {
    await pool.stop();
  }

  const runtimes = [...new Set(rows.map((r) => r.runtime))] as Runtime[];
  const base = benchDefaults().params;
  const coresParams = { ...base, chatClients: 32 };
  const cores = o.coresRounds > 0 ? await runCores(runtimes.filter((r): r is PortSharingRuntime => r !== "workerd"), coresParams, { warmup: 1, duration: 3 }, o.coresRounds, log).catch((err: unknown) => {
    failures.push(`every core: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }) : [];

  const report: ScaleReport = {
    command,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    settings: { steps: o.steps, clients: o.clients, client: o.client, concurrency: o.concurrency, idleSeconds: o.idleSeconds, broadcasts: o.broadcasts, idleTimeoutMs: o.idleTimeoutMs, pingIntervalMs, heartbeatNote, chatClients: coresParams.chatClients },
    rows,
    steps,
    cores,
    failures,
  };
  if (!o.smoke) for (const f of SCALE_FIGURES) log(`\n${f.label} (${f.unit})\n${figureTable(report, f)}`);
  log(`\nfailures: ${failures.length === 0 ? "none" : `\n${failures.join("\n")}`}`);
  if (o.write) {
    writeScaleReport(report);
    log("wrote bench/scale_results.json, bench/scale.svg and the scale section of bench/README.md");
  }
  return failures.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
