/**
 * The scale bench's outputs: `bench/scale_results.json` (everything), `bench/scale.svg` (the
 * chart) and its section of `bench/README.md` (method, command, tables, goals).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { MachineInfo } from "./machine.ts";
import { withSection } from "./readme_section.ts";
import { fmt } from "./rounds.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { renderScaleChart, SCALE_FIGURES, type ScaleFigure } from "./scale_chart.ts";
import type { CoresResult } from "./scale_cores.ts";
import type { ScaleRow } from "./scale_rows.ts";
import type { StepResult } from "./scale_step.ts";
import { median } from "./stats.ts";

/** Everything a scale run knows, as written to scale_results.json. */
export interface ScaleReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  settings: {
    steps: number[];
    clients: number;
    /** The clients' runtime: `node` (ws, a source address per process) or `bun`. */
    client: "node" | "bun";
    concurrency: number;
    idleSeconds: number;
    broadcasts: number;
    idleTimeoutMs: number;
    pingIntervalMs: number;
    /** Why the heartbeat is off, when it is. */
    heartbeatNote: string;
    /** Chat clients of the every-core row. */
    chatClients: number;
  };
  rows: ScaleRow[];
  steps: StepResult[];
  cores: CoresResult[];
  failures: string[];
}

function valueOf(step: StepResult, figure: ScaleFigure): number {
  return Number(step[figure.key]) * (figure.scale ?? 1);
}

function baselineOf(row: ScaleRow, figure: ScaleFigure): string {
  return figure.key.toString().startsWith("broadcast") || figure.key === "publishCallMs" ? (row.broadcastBaseline ?? row.baseline) : row.baseline;
}

/** A markdown table of `figure`: a line per row, a column per step, with the ratio to the row's control. */
export function figureTable(report: ScaleReport, figure: ScaleFigure): string {
  const counts = [...new Set(report.steps.map((s) => s.connections))].sort((a, b) => a - b);
  const find = (id: string, n: number) => report.steps.find((s) => s.rowId === id && s.connections === n);
  const digits = ["broadcastFirstMs", "broadcastLastMs", "publishCallMs", "broadcastCpuMs", "idleCpuMicrosPerSecond", "serverCpuMicrosPerHandshake"].includes(String(figure.key)) ? 1 : 0;
  const lines = [
    `| row | ${counts.map((n) => fmt(n)).join(" | ")} |`,
    `| --- | ${counts.map(() => "---:").join(" | ")} |`,
  ];
  for (const row of report.rows) {
    const cells = counts.map((n) => {
      const step = find(row.id, n);
      if (step === undefined) return "–";
      const v = valueOf(step, figure);
      const base = find(baselineOf(row, figure), n);
      const ratio = base !== undefined && base.rowId !== row.id ? ` (${(v / valueOf(base, figure)).toFixed(2)}×)` : "";
      return `${fmt(v, digits)}${ratio}`;
    });
    lines.push(`| \`${row.id}\` | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

function coresTable(cores: readonly CoresResult[]): string {
  if (cores.length === 0) return "(not run)";
  const lines = ["| runtime | processes | deliveries/s (median) | server cores | machine cores | runs |", "| --- | ---: | ---: | ---: | ---: | ---: |"];
  const keys = [...new Set(cores.map((c) => `${c.runtime}|${c.processes}`))];
  for (const key of keys) {
    const runs = cores.filter((c) => `${c.runtime}|${c.processes}` === key);
    const [runtime, processes] = key.split("|");
    lines.push(`| ${runtime} | ${processes} | ${fmt(median(runs.map((r) => r.deliveriesPerSecond)))} | ${fmt(median(runs.map((r) => r.serverCores)), 2)} | ${fmt(median(runs.map((r) => r.machineCores)), 2)} | ${runs.length} |`);
  }
  return lines.join("\n");
}

/** The README section's text. */
export function scaleSectionText(report: ScaleReport): string {
  const s = report.settings;
  const m = report.machine;
  const tables = SCALE_FIGURES.map((f) => `### ${f.label} (${f.unit})\n\n${figureTable(report, f)}`).join("\n\n");
  return `## Scale curve (\`npm run bench:scale\`)

How cost grows with the number of connections, per runtime, native control and plinth side by side
in one run: \`npx tsx bench/scale.ts\` (\`npm run bench:scale\`; \`--smoke\` checks the tooling in seconds and
is what \`npm test\` runs; \`--help\` lists the options). What the figures mean: [\`docs/performance.md\`](../docs/performance.md).

Method, for each step (connection count) and each row (steps outer, rows inner, so the rows of one
step are measured minutes apart at most):

- a **fresh server** (pinned to CPU 0) with the endpoint \`/room\`: every connection subscribed to
  one topic, idle timeout ${fmt(s.idleTimeoutMs)} ms, heartbeat ${s.pingIntervalMs > 0 ? `every ${fmt(s.pingIntervalMs)} ms` : `off (${s.heartbeatNote})`}.
  Native controls use the runtime's own mechanism where it can do the same (Deno's \`idleTimeout\` pings;
  Bun's \`idleTimeout\` closes), else what a user writes without a framework: one timer per socket for
  an idle close (Deno, Node), one interval that pings every socket (\`ws\`'s recipe; on Bun too, whose
  \`sendPings\` follows uWS's idle clock, which ticks in seconds) (\`bench/servers/scale_*.ts\`).
- **${s.clients} client processes** (\`bench/client/scale_main.ts\`, ${s.client === "node" ? "\`ws\` on Node, each connecting from its own source address 127.0.0.2, .3, …" : "Bun's WebSocket, all from 127.0.0.1"}; all
  pinned to CPU 1) share the connections. Linux's \`connect()\` looks for a free ephemeral port among one
  parity of the range first (about 14,000 here); past that, every connect from one source address scans
  them all, and handshakes/s collapses on the client side — hence one source address per client process.
  A fresh server per step means a fresh port, so client ports in TIME_WAIT from the step before never collide.
- **memory**: the idle workload's method (\`bench/client/idle.ts\`): 100 warm-up connect/close cycles, a
  settled sample (full GC, 1 s for the allocator, \`/stats\` again), the connections, 1 s, a settled sample;
  anonymous RSS growth ÷ connections.
- **handshakes/s**: the connections opened with ${s.concurrency} handshakes in flight over all clients,
  ÷ the wall time; the server CPU per handshake is in \`scale_results.json\`.
- **idle CPU**: server CPU (every thread, from \`/proc/<pid>/task/*/schedstat\`, read from outside so the
  reading costs the server nothing) over ${s.idleSeconds} s while every connection is silent.
- **broadcast**: \`GET /broadcast\` makes the server read its clock, publish one short text to the room
  (\`container.publish\`; native: a loop over the sockets, or Bun's \`server.publish\`) and read its clock
  again; each client records when the message reached it. First and last receipt are measured from the
  server's clock before the publish call (the processes share the machine's clock); median of ${s.broadcasts}.
  The clients receive on one core, so "last receipt" includes their work; the publish call alone is the
  server's share, and the server's CPU from the request to the last receipt (from \`/proc\`) is the figure
  that other processes taking the CPU do not stretch.
- **every core**: plinth with the bench's chat workload (${s.chatClients} clients, Bun client on CPU 1): one server
  process (CPU 0) against one process per core on one port (\`reusePort\`; Node: \`node:cluster\` workers),
  unpinned, sharing the room through the Redis backplane (a \`redis-server\` the bench starts on a free
  port; without one, each process's room holds only its own clients). Deliveries/s as the chat client
  counts them; server cores over the whole client run, every server process.

Command: \`${report.command}\` (${report.startedAt} → ${report.finishedAt})

- machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel}, open-files limit ${m.openFilesLimit}; **shared** with other users' test runs while measured
- versions: ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(", ")}
- failures: ${report.failures.length === 0 ? "none" : report.failures.join("; ")}

![scale curve](scale.svg)

Each cell: the figure, and in brackets its ratio to the row's control at the same step
(\`bun_plinth\`'s broadcast figures: to \`bun_native_publish\`).

${tables}

### every core: chat deliveries/s, one process vs one per core

${coresTable(report.cores)}
`;
}

/** Writes scale_results.json, scale.svg and the README section. */
export function writeScaleReport(report: ScaleReport): void {
  writeFileSync(join(BENCH_DIR, "scale_results.json"), `${JSON.stringify(report, null, 2)}\n`);
  const caption = `${report.command} — ${report.finishedAt.slice(0, 16)} UTC, ${report.machine.nproc} × ${report.machine.cpuModel} (shared)`;
  writeFileSync(join(BENCH_DIR, "scale.svg"), renderScaleChart(report.rows, report.steps, caption));
  const path = join(BENCH_DIR, "README.md");
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  writeFileSync(path, withSection(text, "scale", scaleSectionText(report)));
}
