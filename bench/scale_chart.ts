/**
 * The scale bench's chart (`bench/scale.svg`): one panel per figure, each a line per row against
 * the connection count. Colour = runtime; solid = plinth, dashed = native control, dotted = Bun's
 * native publish. Built by hand like `svg_chart.ts`, whose helpers it uses.
 */
import type { ScaleRow } from "./scale_rows.ts";
import type { StepResult } from "./scale_step.ts";
import { escape, niceMax, short } from "./svg_chart.ts";

/** One figure of the curve. */
export interface ScaleFigure {
  key: keyof StepResult;
  label: string;
  unit: string;
  /** Shown value = step value × scale (e.g. µs/s → ms/s). */
  scale?: number;
}

/** The figures charted, in panel order. */
export const SCALE_FIGURES: readonly ScaleFigure[] = [
  { key: "bytesPerConnection", label: "memory per idle connection", unit: "bytes (anonymous RSS)" },
  { key: "handshakesPerSecond", label: "handshakes per second", unit: "handshakes/s (64 in flight)" },
  { key: "serverCpuMicrosPerHandshake", label: "server CPU per handshake", unit: "µs" },
  { key: "idleCpuMicrosPerSecond", label: "server CPU while idle", unit: "ms CPU per second", scale: 1 / 1000 },
  { key: "broadcastLastMs", label: "one broadcast: last receipt", unit: "ms after the publish call began" },
  { key: "broadcastFirstMs", label: "one broadcast: first receipt", unit: "ms after the publish call began" },
  { key: "publishCallMs", label: "one broadcast: the publish call", unit: "ms in the server" },
  { key: "broadcastCpuMs", label: "one broadcast: server CPU", unit: "ms CPU, request to last receipt" },
];

const PANEL_W = 460;
const PANEL_H = 300;
const MARGIN = { top: 44, right: 16, bottom: 44, left: 64 };
const COLORS: Record<string, string> = { deno: "#2f855a", bun: "#c05621", node: "#2b6cb0" };

function dashOf(row: ScaleRow): string {
  if (row.id.endsWith("_publish")) return ` stroke-dasharray="2 3"`;
  return row.kind === "native" ? ` stroke-dasharray="7 4"` : "";
}

function panel(figure: ScaleFigure, rows: readonly ScaleRow[], steps: readonly StepResult[], x0: number, y0: number): string {
  const plotW = PANEL_W - MARGIN.left - MARGIN.right;
  const plotH = PANEL_H - MARGIN.top - MARGIN.bottom;
  const left = x0 + MARGIN.left;
  const top = y0 + MARGIN.top;
  const bottom = top + plotH;
  const value = (s: StepResult): number => Number(s[figure.key]) * (figure.scale ?? 1);
  const valid = steps.filter((s) => Number.isFinite(value(s)));
  const xMax = niceMax(Math.max(0, ...valid.map((s) => s.connections)));
  const yMax = niceMax(Math.max(0, ...valid.map(value)));
  const x = (n: number): number => left + (plotW * n) / xMax;
  const y = (v: number): number => bottom - (plotH * Math.max(0, v)) / yMax;
  const out: string[] = [
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 20}" text-anchor="middle" font-weight="bold">${escape(figure.label)}</text>`,
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + 35}" text-anchor="middle" font-size="11" fill="#555">${escape(figure.unit)}</text>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const v = (yMax * t) / 4;
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e2e8f0"/>`);
    out.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#555">${short(v)}</text>`);
    const n = (xMax * t) / 4;
    out.push(`<text x="${x(n)}" y="${bottom + 16}" text-anchor="middle" font-size="11" fill="#555">${short(n)}</text>`);
  }
  out.push(`<text x="${left + plotW / 2}" y="${bottom + 32}" text-anchor="middle" font-size="11" fill="#555">connections</text>`);
  for (const row of rows) {
    const points = valid.filter((s) => s.rowId === row.id).sort((a, b) => a.connections - b.connections);
    if (points.length === 0) continue;
    const color = COLORS[row.runtime] ?? "#999";
    const path = points.map((s) => `${x(s.connections).toFixed(1)},${y(value(s)).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"${dashOf(row)}><title>${escape(row.id)}</title></polyline>`);
    for (const s of points) {
      out.push(`<circle cx="${x(s.connections).toFixed(1)}" cy="${y(value(s)).toFixed(1)}" r="2.5" fill="${color}"><title>${escape(`${row.id} at ${s.connections}: ${short(value(s))}`)}</title></circle>`);
    }
  }
  out.push(`<line x1="${left}" x2="${left + plotW}" y1="${bottom}" y2="${bottom}" stroke="#1a202c"/>`);
  out.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#1a202c"/>`);
  return out.join("\n");
}

function legend(rows: readonly ScaleRow[], y: number): string {
  return rows
    .map((row, i) => {
      const lx = 20 + (i % 4) * 230;
      const ly = y + Math.floor(i / 4) * 18;
      const color = COLORS[row.runtime] ?? "#999";
      return `<line x1="${lx}" x2="${lx + 28}" y1="${ly + 6}" y2="${ly + 6}" stroke="${color}" stroke-width="2"${dashOf(row)}/><text x="${lx + 34}" y="${ly + 10}" font-size="12">${escape(row.id)}</text>`;
    })
    .join("\n");
}

/** The whole chart: every figure of {@link SCALE_FIGURES}, two panels per line, legend and caption. */
export function renderScaleChart(rows: readonly ScaleRow[], steps: readonly StepResult[], caption: string): string {
  const present = rows.filter((r) => steps.some((s) => s.rowId === r.id));
  const cols = 2;
  const lines = Math.ceil(SCALE_FIGURES.length / cols);
  const legendLines = Math.ceil(present.length / 4);
  const width = cols * PANEL_W;
  const height = lines * PANEL_H + legendLines * 18 + 40;
  const panels = SCALE_FIGURES.map((f, i) => panel(f, present, steps, (i % cols) * PANEL_W, Math.floor(i / cols) * PANEL_H));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...panels,
    legend(present, lines * PANEL_H + 4),
    `<text x="20" y="${lines * PANEL_H + legendLines * 18 + 26}" font-size="11" fill="#555">${escape(caption)}</text>`,
    "</svg>",
    "",
  ].join("\n");
}
