/**
 * Starts this runtime's plain echo server in its own process, prints its URL
 * on one line, and stops when stdin closes or after `--lifetime` ms
 * (default 10 minutes). For hammering a server from a separate client process.
 *
 * `npx deno run -A tests/faults/plain_server_main.ts` · `npx bun tests/faults/plain_server_main.ts` · `npx tsx tests/faults/plain_server_main.ts`
 *
 * @module
 */

import process from "node:process";
import { startPlainEchoServer } from "./plain_server.ts";

const i = process.argv.indexOf("--lifetime");
const lifetime = Number((i >= 0 ? process.argv[i + 1] : undefined) ?? 10 * 60_000);
const server = await startPlainEchoServer({ maxLifetimeMs: lifetime });
console.log(server.url);
const stop = (): void => {
  void server.close().then(() => process.exit(0));
};
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
setTimeout(stop, lifetime + 1000);
