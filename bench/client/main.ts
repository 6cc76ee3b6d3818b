/**
 * Load-client process entry. The runner starts one per workload run:
 * `node --import tsx bench/client/main.ts '<ClientJob JSON>'` (or `bun bench/client/main.ts …`).
 * It prints one line `RESULT <ClientResult JSON>` (smoke: `RESULT {"ok":true}`) and exits;
 * on failure it prints the error to stderr and exits 1.
 */
import process from "node:process";
import type { ClientJob, ClientResult } from "../types.ts";
import { runChat } from "./chat.ts";
import { runConnect } from "./connect.ts";
import { runEcho } from "./echo.ts";
import { runHandshakes } from "./handshakes.ts";
import { runIdle } from "./idle.ts";
import { runSmoke } from "./smoke.ts";

async function run(job: ClientJob): Promise<ClientResult | { ok: true }> {
  switch (job.workload) {
    case "echo":
      return runEcho(job);
    case "chat":
      return runChat(job);
    case "connect":
      return runConnect(job);
    case "idle":
      return runIdle(job);
    case "handshakes":
      return runHandshakes(job, job.handshakes ?? 20_000);
    case "smoke":
      await runSmoke(job.origin);
      return { ok: true };
  }
}

try {
  const job = JSON.parse(process.argv[2] ?? "") as ClientJob;
  const result = await run(job);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`, () => process.exit(0));
} catch (err) {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
