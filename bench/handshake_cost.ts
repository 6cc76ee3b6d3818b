/**
 * Server CPU per WebSocket handshake, from a fixed amount of work: every row opens and closes
 * the same number of connections (default 20,000) and the server's own CPU counters give the
 * cost of each. Rows alternate within each round. On a shared 2-core machine this is steadier
 * than the connect workload's rate over a fixed time, so small differences between plinth and
 * Hono show. Not part of `npm run bench`; prints a table, writes nothing.
 *
 * Run: `npx tsx bench/handshake_cost.ts [--rounds 3] [--count 20000] [--only bun,node_plinth]`
 */
import process from "node:process";
import { join } from "node:path";
import { runClient } from "./client_process.ts";
import { defaults } from "./options.ts";
import { ROWS } from "./registry.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { startServer } from "./server_process.ts";
import { median } from "./stats.ts";
import type { ClientJob, ClientResult } from "./types.ts";

function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const rounds = Number(flag("--rounds", "3"));
const count = Number(flag("--count", "20000"));
const only = flag("--only", "").split(",").filter((s) => s !== "");
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`--rounds needs a positive integer, got ${rounds}`);
if (!Number.isInteger(count) || count < 100) throw new RangeError(`--count needs an integer of at least 100, got ${count}`);

const rows = ROWS.filter((row) => only.length === 0 || only.includes(row.id) || only.includes(row.runtime));
const costs = new Map<string, number[]>(rows.map((row) => [row.id, []]));

for (let round = 1; round <= rounds; round++) {
  for (const row of rows) {
    const server = await startServer(row.runtime, join(BENCH_DIR, row.file));
    try {
      const job: ClientJob = {
        workload: "handshakes",
        handshakes: count,
        origin: server.origin,
        warmupSeconds: 0,
        durationSeconds: 0,
        params: defaults().params,
      };
      const result = await runClient<ClientResult>("bun", job, 300_000);
      costs.get(row.id)!.push(result.serverCpuMicrosPerOp);
      console.log(`round ${round}/${rounds} ${row.id.padEnd(20)} ${result.serverCpuMicrosPerOp.toFixed(1)} µs/handshake`);
    } finally {
      await server.stop();
    }
  }
}

const medianOf = (id: string): number => median(costs.get(id) ?? []);
console.log(`\n| row | server CPU µs/handshake (median of ${rounds}) | vs native | vs Hono |`);
console.log("| --- | ---: | ---: | ---: |");
for (const row of rows) {
  const own = medianOf(row.id);
  const native = medianOf(`${row.runtime}_native`);
  const hono = medianOf(`${row.runtime}_hono`);
  const ratio = (base: number): string => (Number.isFinite(base) && base > 0 ? `${(own / base).toFixed(2)}×` : "–");
  console.log(`| \`${row.id}\` | ${own.toFixed(1)} | ${ratio(native)} | ${ratio(hono)} |`);
}
