/**
 * Command-line driver: runs N hostile cases and prints the summary as JSON.
 *
 * ```sh
 * npx tsx tests/faults/hostile_run.ts [--cases 10000] [--seed 24301] [--concurrency 48] [--timeout 1000] [--url ws://127.0.0.1:PORT/ws]
 * npx deno run -A tests/faults/hostile_run.ts …      npx bun tests/faults/hostile_run.ts …
 * ```
 * Without `--url` it starts this runtime's plain echo server in-process and stops it at the end.
 *
 * @module
 */

import process from "node:process";
import { generateHostileCases, runHostileCases } from "./hostile.ts";
import { startPlainEchoServer, type PlainServer } from "./plain_server.ts";

/** Reads `--name value` from the command line. */
function flag(name: string): string | undefined {
  const args = process.argv;
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

const count = Number(flag("cases") ?? 10_000);
const seed = Number(flag("seed") ?? 0x5eed);
const concurrency = Number(flag("concurrency") ?? 48);
const timeoutMs = Number(flag("timeout") ?? 1000);
let server: PlainServer | undefined;
let url = flag("url");
if (url === undefined) {
  server = await startPlainEchoServer({ maxLifetimeMs: 15 * 60_000 });
  url = server.url;
}
try {
  const cases = generateHostileCases(seed, count);
  const summary = await runHostileCases(url, cases, { concurrency, timeoutMs });
  console.log(JSON.stringify({ client: process.versions.bun ? "bun" : process.versions.deno ? "deno" : "node", server: server?.runtime ?? url, seed, count, concurrency, timeoutMs, ...summary }, null, 1));
} finally {
  await server?.close();
}
// Exit now: a Deno.upgradeWebSocket server keeps the process alive ~15 s after
// shutdown() when clients vanished without a close handshake (which many cases do).
process.exit(process.exitCode ?? 0);
