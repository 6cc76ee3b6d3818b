/**
 * Turns the measurements of a run into per-row, per-workload summaries: medians over rounds,
 * spread, and every figure divided by the same runtime's native control from the same run.
 */
import { baselineOf, type Row } from "./registry.ts";
import type { Measurement } from "./rounds.ts";
import { median, range } from "./stats.ts";
import type { Workload } from "./types.ts";

/** The figure each workload is compared on, and whether higher is better. */
export const PRIMARY: Record<Workload, { label: string; unit: string; higherIsBetter: boolean }> = {
  echo: { label: "echo throughput", unit: "msg/s", higherIsBetter: true },
  chat: { label: "chat fan-out", unit: "deliveries/s", higherIsBetter: true },
  connect: { label: "connect rate", unit: "handshakes/s", higherIsBetter: true },
  idle: { label: "idle memory", unit: "bytes/connection", higherIsBetter: false },
};

/** Medians of one row on one workload, with ratios to its baseline row. */
export interface Summary {
  rowId: string;
  workload: Workload;
  baselineId: string;
  /** Measurements the medians are over. */
  rounds: number;
  /**
   * Measurements left out because other processes disturbed them even after the allowed reruns.
   * They are used only when a row has no clean measurement of the workload (then `allDisturbed`).
   */
  excluded: number;
  allDisturbed: boolean;
  /** The primary figure (see {@link PRIMARY}): median, min and max over rounds. */
  value: number;
  min: number;
  max: number;
  serverCpuMicrosPerOp: number;
  p50Ms?: number;
  p99Ms?: number;
  /** value / baseline value (NaN when the baseline row has no figure in this run). */
  ratio: number;
  cpuRatio: number;
  p99Ratio?: number;
}

function primary(m: Measurement): number {
  return m.workload === "idle" ? (m.result.bytesPerConnection ?? Number.NaN) : m.result.rate;
}

/** Summarises `measurements` for every row and workload that has at least one. */
export function summarise(rows: readonly Row[], workloads: readonly Workload[], measurements: readonly Measurement[]): Summary[] {
  const raw = new Map<string, Omit<Summary, "ratio" | "cpuRatio" | "p99Ratio">>();
  for (const row of rows) {
    for (const workload of workloads) {
      const all = measurements.filter((m) => m.rowId === row.id && m.workload === workload);
      if (all.length === 0) continue;
      const clean = all.filter((m) => !m.disturbed);
      const ms = clean.length > 0 ? clean : all;
      const values = ms.map(primary);
      const [min, max] = range(values);
      const p50 = ms.map((m) => m.result.p50Ms).filter((v): v is number => v !== undefined);
      const p99 = ms.map((m) => m.result.p99Ms).filter((v): v is number => v !== undefined);
      raw.set(`${row.id}/${workload}`, {
        rowId: row.id,
        workload,
        baselineId: baselineOf(row, workload),
        rounds: ms.length,
        excluded: all.length - ms.length,
        allDisturbed: clean.length === 0,
        value: median(values),
        min,
        max,
        serverCpuMicrosPerOp: median(ms.map((m) => m.result.serverCpuMicrosPerOp)),
        ...(p50.length > 0 ? { p50Ms: median(p50) } : {}),
        ...(p99.length > 0 ? { p99Ms: median(p99) } : {}),
      });
    }
  }
  return [...raw.values()].map((s) => {
    const base = raw.get(`${s.baselineId}/${s.workload}`);
    return {
      ...s,
      ratio: base ? s.value / base.value : Number.NaN,
      cpuRatio: base ? s.serverCpuMicrosPerOp / base.serverCpuMicrosPerOp : Number.NaN,
      ...(s.p99Ms !== undefined && base?.p99Ms !== undefined ? { p99Ratio: s.p99Ms / base.p99Ms } : {}),
    };
  });
}
