/**
 * Idle-memory workload: opens `idleConnections` WebSockets to `/echo` that then stay silent, and
 * reports the server's RSS growth per connection (RSS after they settle minus RSS before, after
 * a small warm-up of connect/close cycles so first-use allocations are not counted).
 */
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import { type BenchSocket, openSocket } from "./socket.ts";
import { openMany, sleep, wsUrl } from "./timing.ts";

const WARMUP_CONNECTIONS = 100;
const HANDSHAKES_IN_FLIGHT = 32;
const SETTLE_MS = 1000;

/** Runs the idle workload against `job.origin` and reports it. */
export async function runIdle(job: ClientJob): Promise<ClientResult> {
  const url = wsUrl(job.origin, "/echo");
  const count = job.params.idleConnections;
  let closing = false;
  let errors = 0;
  const open = (): Promise<BenchSocket> =>
    openSocket(url, {
      onMessage() {},
      onClose() {
        if (!closing) errors++;
      },
    });

  const warm = await openMany(WARMUP_CONNECTIONS, HANDSHAKES_IN_FLIGHT, open);
  closing = true;
  for (const s of warm) s.close();
  await sleep(SETTLE_MS);
  closing = false;

  const before = await takeSample(job.origin);
  const held = await openMany(count, HANDSHAKES_IN_FLIGHT, open);
  await sleep(SETTLE_MS);
  const after = await takeSample(job.origin);
  closing = true;
  for (const s of held) s.close();
  await sleep(200);

  const cost = windowCost(before, after);
  return {
    workload: "idle",
    ops: count,
    rate: count,
    cost,
    serverCpuMicrosPerOp: cost.serverCpuMicros / count,
    bytesPerConnection: (cost.rssAfter - cost.rssBefore) / count,
    errors,
  };
}
