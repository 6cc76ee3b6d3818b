/**
 * Writes the run's outputs: `bench/results.json` (everything), `bench/results.svg` (the chart)
 * and `bench/README.md` (method, how to rerun, and the results of this run).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Summary } from "./aggregate.ts";
import type { MachineInfo } from "./machine.ts";
import type { Options } from "./options.ts";
import { type Row, ROWS } from "./registry.ts";
import { sectionOf } from "./readme_section.ts";
import type { RoundsOutcome } from "./rounds.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { renderChart } from "./svg_chart.ts";
import { allTables } from "./table.ts";

/** Everything a finished run knows, as written to results.json. */
export interface RunReport {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  options: Options;
  rows: Row[];
  skipped: string[];
  clientName: string;
  outcome: RoundsOutcome;
  summaries: Summary[];
}

function rowList(): string {
  return ROWS.map((r) => `| \`${r.id}\` | ${r.runtime} | ${r.kind} | \`bench/${r.file}\` | ${r.description} |`).join("\n");
}

function machineLines(m: MachineInfo): string {
  const v = Object.entries(m.versions).map(([k, val]) => `${k} ${val}`).join(", ");
  return [
    `- machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.kernel}, open-files limit ${m.openFilesLimit}`,
    `- versions: ${v}`,
  ].join("\n");
}

/** The README text for `report`. */
export function readmeText(report: RunReport): string {
  const o = report.options;
  const disturbedKept = report.outcome.measurements.filter((m) => m.disturbed).length;
  return `# plinth benchmark

Measures, side by side in one run, for **Deno, Bun and Node**:

- the **native control** — the runtime's own WebSocket server written directly (\`Deno.upgradeWebSocket\`
  under \`Deno.serve\`; \`Bun.serve\` websockets; \`ws\` on \`node:http\`),
- **Hono's helper** on the same runtime (\`hono/deno\`; \`hono/bun\`; \`@hono/node-server\` v2's built-in
  \`upgradeWebSocket\` with a \`ws\` \`WebSocketServer({ noServer: true })\`),
- **plinth** through its adapter,

all with the same application logic, and prints every figure as a ratio to the native control of the
same runtime measured in the same run.

## Running it

\`\`\`sh
npm run bench                         # = tsx bench/run.ts: 5 rounds × every row × every workload
npx tsx bench/run.ts --rounds 3 --duration 2 --only deno,bun_native --workloads echo,chat
npx tsx bench/run.ts --smoke          # every server starts and answers /stats, /echo, /chat (used by npm test)
npx tsx bench/handshake_cost.ts --only bun   # server CPU per handshake from fixed work (20,000 per row, 3 rounds)
npx tsx bench/run.ts --workloads cluster    # one room over three processes on Redis, beside one process and Socket.IO
\`\`\`

A full default run (10 rows) takes about 17 minutes on a quiet 2-core machine (about 20 s per row per round), longer when other processes force reruns.
It rewrites \`bench/results.json\`, \`bench/results.svg\` and this README (\`--no-write\` prints only).
\`bench/handshake_cost.ts\` prints and writes nothing: on this shared machine a fixed amount of work
read from the server's own CPU counters separates small differences (plinth against Hono) that a
rate over 3 s cannot. What the figures mean, target by target: [\`docs/performance.md\`](../docs/performance.md).
Nothing in \`npm test\` runs the benchmark or asserts a time; \`--smoke\` only checks that every
server works, and exits 1 if one does not.

The \`cluster\` workload (\`bench/cluster/\`; part of the default run, needs \`redis-server\`) spreads one chat
room over three server processes on one Redis — three Node processes, or a Deno, a Bun and a Node
process — beside the same room in one process and beside Socket.IO with \`@socket.io/redis-adapter\`:
deliveries/s, server CPU per delivery and publish-to-receive latency p50/p99. It writes
\`bench/cluster_results.json\`; the figures and what they mean: [\`docs/scale-out.md\`](../docs/scale-out.md).

| option | default | meaning |
| --- | --- | --- |
| \`--rounds N\` | 5 | interleaved rounds; medians are over rounds |
| \`--duration S\` | 3 | seconds measured per workload run |
| \`--warmup S\` | 1 | seconds of load before measuring (chat: the dropped first window) |
| \`--only LIST\` | all | row ids or runtimes: \`deno\`, \`bun_native,bun_hono\`, … |
| \`--workloads LIST\` | idle,echo,chat,connect,cluster | any subset |
| \`--cluster-clients N\`, \`--cluster-window N\`, \`--cluster-rate N\` | 16, 4, 5 | cluster: clients per server process, own messages in flight per client, messages/s per client in the latency phase |
| \`--cluster-only LIST\` | all | cluster rows: plinth_1_node, plinth_3_node, plinth_3_mixed, sio_1_node, sio_3_node |
| \`--client bun\\|node\` | bun | the load client: Bun's built-in \`WebSocket\`, or \`ws\` on Node |
| \`--max-other-cpu F\` | 0.1 | a window in which other processes used more than F of a core is rerun |
| \`--max-reruns N\` | 3 | reruns per measurement; a run still disturbed after them is kept in results.json, left out of the medians |
| \`--echo-clients N\`, \`--echo-window N\` | 16, 16 | echo: sockets, messages in flight per socket |
| \`--chat-clients N\`, \`--chat-window N\` | 16, 4 | chat: sockets in the room, own messages in flight per socket |
| \`--message-bytes N\` | 64 | text message size (echo, chat) |
| \`--connect-concurrency N\` | 16 | connect: handshakes in flight |
| \`--idle-connections N\` | 3000 | idle: connections held open (mind \`ulimit -n\`) |
| \`--smoke\`, \`--no-write\` | | see above |
| \`--rerender\` | | rebuild this README and the chart from \`results.json\` (after editing \`bench/readme.ts\`) |

## Rows

| id | runtime | kind | server file | what |
| --- | --- | --- | --- | --- |
${rowList()}

A row whose server file does not exist is skipped (the run says so). Hono and plinth figures are
divided by \`<runtime>_native\`; \`bun_plinth\`'s chat figure is divided by \`bun_native_publish\`, since
plinth's topics map to Bun's native publish ([docs/guide.md](../docs/guide.md#topics)).

### Server protocol (for new rows, e.g. \`plinth_*.ts\`)

A server file is started as a child process — \`deno run -A FILE\`, \`bun FILE\`,
\`node --import tsx FILE\` — with the repository root as working directory, and must:

1. listen on \`127.0.0.1\`, port 0, and print \`LISTENING <port>\` on a line of its own on stdout;
2. serve \`/echo\`: send every text or binary message back unchanged, same frame type;
3. serve \`/chat\`: one room; every message received is sent to every connected client of the room,
   **sender included**, in arrival order;
4. answer \`GET /stats\` with JSON \`{"cpuUserMicros","cpuSystemMicros","rss"}\` for its own process;
5. exit when its stdin closes or on SIGTERM.

\`bench/servers/server_kit.ts\` does 1, 4 and 5 on every runtime (\`announce\`, \`statsResponse\`,
\`exitWithParent\`); \`bench/servers/deno_api.ts\` types the few Deno globals so the repo's \`tsc\`
checks the Deno files too. Then add the row to \`bench/registry.ts\` (the plinth rows are already there).

## Method

- **Process layout.** The runner (\`bench/run.ts\`, Node) starts one fresh server process per row per
  round, and for each workload one load-client process (\`bench/client/main.ts\`), the same client
  for every row. On 2 cores the server is pinned to CPU 0 and the client to CPU 1 with \`taskset\`
  (unpinned, the scheduler's placement swung a row's echo figure between about 100k and 150k msg/s
  from round to round; \`PLINTH_BENCH_NO_PIN=1\` turns pinning off). The default client
  is Bun's built-in \`WebSocket\`: measured here it drives more load than \`ws\` on Node (echo about
  1.5×, connect about 3×, chat about 1.1× against the same server), so the servers rather than the client
  are the limit; \`--client node\` switches. Each line of the progress log shows how many cores the
  server and the client used during the window.
- **Interleaving.** Each round visits every row (in an order rotated by one each round) and runs
  every workload on it; figures are the **median over rounds** with min–max shown, since single
  runs on this machine differ by up to 30 %.
- **CPU per operation.** At both ends of each measurement window the client reads the server's
  \`/stats\` (the server process's own \`process.cpuUsage()\`, all threads), its own CPU time and the
  machine's busy time from \`/proc/stat\`. Server CPU ÷ operations is the *server CPU per message*
  (per delivery, per handshake).
- **Disturbance.** Machine busy time − server CPU − client CPU is what other processes used. If that
  exceeds \`--max-other-cpu\` of one core over the window, the measurement is rerun (up to
  \`--max-reruns\` times) on the same server. Before every timed measurement the runner also waits
  (up to 15 s) until the machine has been quiet for half a second, so reruns are not wasted. A
  measurement still disturbed after the last rerun is kept in results.json but left out of the
  medians, unless a row has no clean measurement of that workload (the tables say so).
- **echo** — \`--echo-clients\` sockets on \`/echo\`, each keeping \`--echo-window\` 64-byte text messages
  in flight (a new one as each comes back). Reported: echoed msg/s, server CPU µs/msg, round trip
  p50/p99 over every message of the window.
- **chat** — the Bun chat-bench method: \`--chat-clients\` sockets in the room on \`/chat\`; each keeps
  at most \`--chat-window\` of its own messages in flight (its own message coming back is its ack);
  deliveries received by all clients are counted in 1-second windows; the first (warm-up) window is
  dropped. Reported: deliveries/s (= messages/s × clients), server CPU µs/delivery.
- **connect** — \`--connect-concurrency\` loops each open a socket to \`/echo\`, close it (normal close
  handshake) once open, repeat. Reported: handshakes/s, server CPU µs/handshake.
- **idle** — after 100 warm-up connect/close cycles, \`--idle-connections\` silent sockets are opened
  to \`/echo\`; after 1 s to settle, the growth of the server's anonymous RSS (Linux \`RssAnon\` +
  \`RssShmem\`) ÷ connections = bytes per idle connection; the whole RSS's growth is printed beside
  it and kept in \`results.json\` (\`rssBytesPerConnection\`). The file-backed rest of RSS is the
  runtime's executable and libraries, paged in once when code first runs: a JIT tier compiling
  during the window adds megabytes at once (measured on Bun: 2.5 MB of \`RssFile\`, i.e. 0.8 KB
  "per connection" over 3,000, in whichever round the compile happened), which is not memory the
  connections keep. Memory is read at both ends the same way: \`/stats\` (full GC), 1 s for the
  allocator to return the freed pages, \`/stats\` again — Bun's allocator hands pages back some
  hundreds of ms after a collection. Runs first on each fresh server. RSS is page-granular and
  includes the GC's slack, so read it as a size class, not to the byte; no disturbance check.

## Results

Command: \`${report.command}\` (${report.startedAt} → ${report.finishedAt})

${machineLines(report.machine)}
- load client: ${report.clientName} on ${o.client}; ${o.rounds} rounds, ${o.warmupSeconds} s warm-up + ${o.durationSeconds} s per workload run
- reruns of disturbed windows: ${report.outcome.reruns}; kept while still disturbed: ${disturbedKept}; failures: ${report.outcome.failures.length}
${report.skipped.length > 0 ? `- skipped (no server file yet): ${report.skipped.join(", ")}\n` : ""}
![results](results.svg)

${allTables(o.workloads, report.rows, report.summaries)}
${report.outcome.failures.length > 0 ? `\nFailures:\n\n${report.outcome.failures.map((f) => `- ${f.split("\n")[0]}`).join("\n")}\n` : ""}`;
}

/** Writes results.json, results.svg and README.md into `bench/`. */
export function writeReport(report: RunReport): void {
  writeFileSync(join(BENCH_DIR, "results.json"), `${JSON.stringify(report, null, 2)}\n`);
  const m = report.machine;
  const caption = `${m.nproc} × ${m.cpuModel}; node ${m.versions.node}, deno ${m.versions.deno}, bun ${m.versions.bun}, hono ${m.versions.hono}; ${report.command}`;
  writeFileSync(join(BENCH_DIR, "results.svg"), renderChart(report.options.workloads, report.rows, report.summaries, caption));
  // The scale bench's section (bench/scale.ts) is its own: kept as it is.
  const path = join(BENCH_DIR, "README.md");
  const scale = existsSync(path) ? sectionOf(readFileSync(path, "utf8"), "scale") : "";
  writeFileSync(path, scale === "" ? readmeText(report) : `${readmeText(report).trimEnd()}\n\n${scale}\n`);
}
