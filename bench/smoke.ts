/**
 * Smoke mode of the runner: start every selected server once and check, with the load client,
 * that it answers `/stats`, `/echo` (text and binary) and `/chat` (broadcast including sender).
 */
import { join } from "node:path";
import { runClient } from "./client_process.ts";
import type { Options } from "./options.ts";
import type { Row } from "./registry.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { startServer } from "./server_process.ts";

/** Checks every row; returns the failure messages (empty when all passed). */
export async function runSmoke(rows: readonly Row[], options: Options, log: (line: string) => void): Promise<string[]> {
  const failures: string[] = [];
  for (const row of rows) {
    const started = Date.now();
    try {
      const server = await startServer(row.runtime, join(BENCH_DIR, row.file));
      try {
        await runClient(options.client, { workload: "smoke", origin: server.origin, warmupSeconds: 0, durationSeconds: 0, params: options.params }, 20_000);
      } finally {
        await server.stop();
      }
      log(`smoke ${row.id.padEnd(19)} ok (${Date.now() - started} ms)`);
    } catch (err) {
      const message = `smoke ${row.id.padEnd(19)} FAILED: ${err instanceof Error ? err.message : String(err)}`;
      failures.push(message);
      log(message);
    }
  }
  return failures;
}
