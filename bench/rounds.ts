/**
 * The measurement loop: interleaved rounds over the rows (each round visits every row, in an
 * order rotated by one each round), one fresh server per row per round, one client process per
 * workload run, and reruns of windows disturbed by other processes.
 */
import { join } from "node:path";
import { runClient } from "./client_process.ts";
import type { Options } from "./options.ts";
import type { Row } from "./registry.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { waitForQuiet } from "./quiet.ts";
import { startServer } from "./server_process.ts";
import type { ClientJob, ClientResult, Workload } from "./types.ts";

/** One accepted workload run. */
export interface Measurement {
  round: number;
  rowId: string;
  workload: Workload;
  /** How many disturbed attempts were thrown away before this one. */
  reruns: number;
  /** Still over the disturbance limit after the last allowed rerun. */
  disturbed: boolean;
  result: ClientResult;
}

/** Everything the loop produced. */
export interface RoundsOutcome {
  measurements: Measurement[];
  /** Disturbed attempts that were rerun. */
  reruns: number;
  failures: string[];
}

/** Longest wait for a quiet machine before a timed measurement. */
const MAX_QUIET_WAIT_MS = 15_000;

/** Workloads whose window is checked for disturbance (idle measures memory, not time). */
const TIMED: ReadonlySet<Workload> = new Set(["echo", "chat", "connect"]);

/** Formats a number with thousands separators and `digits` decimals. */
export function fmt(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A one-line description of a result for the progress log. */
export function describe(r: ClientResult): string {
  const s = r.cost.seconds > 0 ? r.cost.seconds * 1e6 : Number.NaN;
  const other = `cores: server ${fmt(r.cost.serverCpuMicros / s, 2)}, client ${fmt(r.cost.clientCpuMicros / s, 2)}, other ${fmt(r.cost.otherCoreFraction, 2)}`;
  const errors = r.errors > 0 ? `, ${r.errors} errors` : "";
  switch (r.workload) {
    case "echo":
      return `${fmt(r.rate)} msg/s, p50 ${fmt(r.p50Ms, 2)} ms, p99 ${fmt(r.p99Ms, 2)} ms, ${fmt(r.serverCpuMicrosPerOp, 2)} µs CPU/msg (${other}${errors})`;
    case "chat":
      return `${fmt(r.rate)} deliveries/s, ${fmt(r.serverCpuMicrosPerOp, 2)} µs CPU/delivery (${other}${errors})`;
    case "connect":
      return `${fmt(r.rate)} handshakes/s, ${fmt(r.serverCpuMicrosPerOp, 1)} µs CPU/handshake (${other}${errors})`;
    case "idle":
      return `${fmt(r.bytesPerConnection)} B/connection over ${fmt(r.ops)} connections (whole RSS ${fmt(r.rssBytesPerConnection)}), RSS ${fmt(r.cost.rssBefore / 2 ** 20, 1)} → ${fmt(r.cost.rssAfter / 2 ** 20, 1)} MiB${errors}`;
  }
}

/** Runs `options.rounds` interleaved rounds over `rows`, logging progress with `log`. */
export async function runRounds(rows: readonly Row[], options: Options, log: (line: string) => void): Promise<RoundsOutcome> {
  const outcome: RoundsOutcome = { measurements: [], reruns: 0, failures: [] };
  const clientTimeoutMs = (options.warmupSeconds + options.durationSeconds + 60) * 1000;
  for (let round = 1; round <= options.rounds; round++) {
    const shift = (round - 1) % rows.length;
    const order = [...rows.slice(shift), ...rows.slice(0, shift)];
    for (const row of order) {
      const prefix = `round ${round}/${options.rounds} ${row.id.padEnd(19)}`;
      let server;
      try {
        server = await startServer(row.runtime, join(BENCH_DIR, row.file));
      } catch (err) {
        const message = `${prefix} server failed to start: ${err instanceof Error ? err.message : String(err)}`;
        outcome.failures.push(message);
        log(message);
        continue;
      }
      try {
        for (const workload of options.workloads) {
          const job: ClientJob = {
            workload,
            origin: server.origin,
            warmupSeconds: options.warmupSeconds,
            durationSeconds: options.durationSeconds,
            params: options.params,
          };
          for (let attempt = 0; ; attempt++) {
            if (TIMED.has(workload)) {
              const waited = await waitForQuiet(options.maxOtherCpu, MAX_QUIET_WAIT_MS);
              if (waited > 0) log(`${prefix} ${workload.padEnd(7)} waited ${fmt(waited / 1000, 1)} s for other processes to quiet down`);
            }
            let result: ClientResult;
            try {
              result = await runClient<ClientResult>(options.client, job, clientTimeoutMs);
            } catch (err) {
              const message = `${prefix} ${workload.padEnd(7)} failed: ${err instanceof Error ? err.message : String(err)}`;
              outcome.failures.push(message);
              log(message);
              break;
            }
            const disturbed = TIMED.has(workload) && result.cost.otherCoreFraction > options.maxOtherCpu;
            if (disturbed && attempt < options.maxReruns) {
              outcome.reruns++;
              log(`${prefix} ${workload.padEnd(7)} disturbed (other processes used ${fmt(result.cost.otherCoreFraction, 2)} core), rerun`);
              continue;
            }
            outcome.measurements.push({ round, rowId: row.id, workload, reruns: attempt, disturbed, result });
            log(`${prefix} ${workload.padEnd(7)} ${describe(result)}${disturbed ? " DISTURBED, kept" : ""}`);
            break;
          }
        }
      } finally {
        await server.stop();
      }
    }
  }
  return outcome;
}
