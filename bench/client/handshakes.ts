/**
 * Fixed-work handshake workload (for `bench/handshake_cost.ts`): opens and closes exactly
 * `handshakes` WebSockets to `/echo`, `connectConcurrency` at a time, after a warm-up of a tenth
 * as many, and reports the server CPU they cost. A fixed amount of work read from the server's own
 * CPU counters is steadier on a shared machine than a rate over a fixed time.
 */
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import { openSocket } from "./socket.ts";
import { openMany, wsUrl } from "./timing.ts";

/** Opens a socket, closes it once open, and resolves when the close completed. */
function openAndClose(url: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    openSocket(url, { onMessage() {}, onClose: resolve }).then((socket) => socket.close(), reject);
  });
}

/** Runs `count` handshakes against `job.origin` and reports their server CPU. */
export async function runHandshakes(job: ClientJob, count: number): Promise<ClientResult> {
  const url = wsUrl(job.origin, "/echo");
  const concurrency = job.params.connectConcurrency;
  await openMany(Math.ceil(count / 10), concurrency, () => openAndClose(url));
  const before = await takeSample(job.origin);
  await openMany(count, concurrency, () => openAndClose(url));
  const after = await takeSample(job.origin);
  const cost = windowCost(before, after);
  return {
    workload: "connect",
    ops: count,
    rate: count / cost.seconds,
    cost,
    serverCpuMicrosPerOp: cost.serverCpuMicros / count,
    errors: 0,
  };
}
