/**
 * The results chart as a standalone SVG string, built by hand (no dependency, no browser):
 * one panel per workload; in each, bars grouped by runtime, one bar per row, height = median
 * figure, label = ratio to the runtime's native control.
 */
import { PRIMARY, type Summary } from "./aggregate.ts";
import type { Row } from "./registry.ts";
import type { Runtime, Workload } from "./types.ts";

const PANEL_W = 460;
const PANEL_H = 300;
const MARGIN = { top: 44, right: 16, bottom: 58, left: 64 };
const COLORS: Record<string, string> = {
  native: "#4a5568",
  native_publish: "#a0aec0",
  hono: "#dd6b20",
  plinth: "#3182ce",
};
const RUNTIMES: readonly Runtime[] = ["deno", "bun", "node", "workerd"];

/** Escapes text for SVG. */
export function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function colorOf(row: Row): string {
  if (row.id.endsWith("_publish")) return COLORS.native_publish ?? "#999";
  return COLORS[row.kind] ?? "#999";
}

/** A compact number: 12 345 → "12.3k", 12 000 → "12k", 2 100 000 → "2.1M". */
export function short(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (Math.abs(n) >= 1e6) return `${Number((n / 1e6).toFixed(2))}M`;
  if (Math.abs(n) >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return n.toFixed(0);
}

/** A "nice" axis maximum at or above `max`: 1, 2 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (!(max > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}

function panel(workload: Workload, rows: readonly Row[], summaries: readonly Summary[], x0: number, y0: number): string {
  const p = PRIMARY[workload];
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const left = x0 + MARGIN.left;
  const top = y0 + MARGIN.top;
  const bottom = top + plotH;
  const items = rows
    .map((row) => ({ row, s: summaries.find((x) => x.rowId === row.id && x.workload === workload) }))
    .filter((i): i is { row: Row; s: Summary } => i.s !== undefined && Number.isFinite(i.s.value));
  const out: string[] = [
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 20}" text-anchor="middle" font-weight="bold">${escape(p.label)}</text>`,
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 35}" text-anchor="middle" font-size="11" fill="#555">${escape(`${p.unit}, ${p.higherIsBetter ? "higher" : "lower"} is better; label = ratio to native`)}</text>`,
  ];
  const yMax = niceMax(Math.max(0, ...items.map((i) => Math.max(i.s.value, i.s.max))));
  for (let t = 0; t <= 4; t++) {
    const v = (yMax * t) / 4;
    const y = bottom - (plotH * t) / 4;
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y}" y2="${y}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end" font-size="11" fill="#555">${short(v)}</text>`);
  }
  const groups = RUNTIMES.map((rt) => items.filter((i) => i.row.runtime === rt)).filter((g) => g.length > 0);
  const groupW = plotW / Math.max(1, groups.length);
  groups.forEach((group, gi) => {
    const barW = Math.min(34, (groupW - 16) / group.length);
    const gx = left + gi * groupW + (groupW - barW * group.length) / 2;
    group.forEach(({ row, s }, bi) => {
      const h = (plotH * s.value) / yMax;
      const x = gx + bi * barW;
      const label = s.baselineId === s.rowId ? "1.00" : Number.isFinite(s.ratio) ? s.ratio.toFixed(2) : "–";
      out.push(`<rect x="${x + 2}" y="${bottom - h}" width="${barW - 4}" height="${h}" fill="${colorOf(row)}"><title>${escape(`${row.id}: ${Math.round(s.value)} ${p.unit} (median of ${s.rounds})`)}</title></rect>`);
      // min–max whisker over the rounds
      const yLo = bottom - (plotH * s.min) / yMax;
      const yHi = bottom - (plotH * s.max) / yMax;
      out.push(`<line x1="${x + barW / 2}" x2="${x + barW / 2}" y1="${yLo}" y2="${yHi}" stroke="#1a202c" stroke-width="1"/>`);
      out.push(`<text x="${x + barW / 2}" y="${Math.min(yHi, bottom - h) - 4}" text-anchor="middle" font-size="10">${label}</text>`);
    });
    out.push(`<text x="${left + gi * groupW + groupW / 2}" y="${bottom + 18}" text-anchor="middle" font-size="12">${escape(group[0]?.row.runtime ?? "")}</text>`);
  });
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${bottom}" y2="${bottom}" stroke="#1a202c"/>`);
  return out.join("\n");
}

function legend(rows: readonly Row[], y: number): string {
  const entries: [string, string][] = [
    ["native control", COLORS.native ?? ""],
    ["native, Bun publish", COLORS.native_publish ?? ""],
    ["Hono helper", COLORS.hono ?? ""],
    ["plinth", COLORS.plinth ?? ""],
  ];
  const present = entries.filter(([name]) =>
    rows.some((r) => (name === "plinth" ? r.kind === "plinth" : name === "Hono helper" ? r.kind === "hono" : name.includes("publish") ? r.id.endsWith("_publish") : r.kind === "native" && !r.id.endsWith("_publish"))),
  );
  return present
    .map(([name, color], i) => `<rect x="${20 + i * 170}" y="${y}" width="12" height="12" fill="${color}"/><text x="${38 + i * 170}" y="${y + 10}" font-size="12">${escape(name)}</text>`)
    .join("\n");
}

/**
 * Renders the chart for `workloads` (two panels per line) over the rows that have results.
 * `caption` is printed under the panels (e.g. machine and command).
 */
export function renderChart(workloads: readonly Workload[], rows: readonly Row[], summaries: readonly Summary[], caption: string): string {
  const present = rows.filter((r) => summaries.some((s) => s.rowId === r.id));
  const cols = Math.min(2, Math.max(1, workloads.length));
  const lines = Math.ceil(workloads.length / cols);
  const width = cols * PANEL_W;
  const height = lines * PANEL_H + 56;
  const panels = workloads.map((w, i) => panel(w, present, summaries, (i % cols) * PANEL_W, Math.floor(i / cols) * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...panels,
    legend(present, lines * PANEL_H + 8),
    `<text x="20" y="${lines * PANEL_H + 42}" font-size="11" fill="#555">${escape(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
