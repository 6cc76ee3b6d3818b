/** Markdown tables of a run's summaries, one per workload (printed and written to the README). */
import { PRIMARY, type Summary } from "./aggregate.ts";
import type { Row } from "./registry.ts";
import { fmt } from "./rounds.ts";
import type { Workload } from "./types.ts";

function ratio(r: number | undefined, self: boolean): string {
  if (self) return "control";
  return r === undefined || !Number.isFinite(r) ? "–" : `${fmt(r, 2)}×`;
}

/** The table for one workload; rows in registry order, skipped rows left out. */
export function workloadTable(workload: Workload, rows: readonly Row[], summaries: readonly Summary[]): string {
  const p = PRIMARY[workload];
  const timed = workload !== "idle";
  const echo = workload === "echo";
  const head = [
    "row",
    `${p.unit} (median)`,
    "vs native",
    "min – max",
    ...(timed ? ["server CPU µs/op", "CPU vs native"] : []),
    ...(echo ? ["p50 ms", "p99 ms", "p99 vs native"] : []),
    "rounds",
  ];
  const lines = [`| ${head.join(" | ")} |`, `|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`];
  for (const row of rows) {
    const s = summaries.find((x) => x.rowId === row.id && x.workload === workload);
    if (!s) continue;
    const self = s.baselineId === s.rowId;
    const cells = [
      `\`${row.id}\``,
      fmt(s.value),
      ratio(s.ratio, self),
      `${fmt(s.min)} – ${fmt(s.max)}`,
      ...(timed ? [fmt(s.serverCpuMicrosPerOp, 2), ratio(s.cpuRatio, self)] : []),
      ...(echo ? [fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), ratio(s.p99Ratio, self)] : []),
      s.allDisturbed ? `${s.rounds} (all disturbed)` : s.excluded > 0 ? `${s.rounds} (+${s.excluded} disturbed, left out)` : String(s.rounds),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** All workload tables with headings, in `workloads` order. */
export function allTables(workloads: readonly Workload[], rows: readonly Row[], summaries: readonly Summary[]): string {
  return workloads
    .map((w) => {
      const p = PRIMARY[w];
      const better = p.higherIsBetter ? "higher is better" : "lower is better";
      return `### ${p.label} (${p.unit}, ${better})\n\n${workloadTable(w, rows, summaries)}`;
    })
    .join("\n\n");
}
