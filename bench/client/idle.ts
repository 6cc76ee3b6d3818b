/**
 * Idle-memory workload: opens `idleConnections` WebSockets to `/echo` that then stay silent, and
 * reports the server's RSS growth per connection (RSS after they settle minus RSS before, after
 * a small warm-up of connect/close cycles so first-use allocations are not counted).
 *
 * Each end is a settled sample: `/stats` runs a full GC, the allocator gets time to hand the freed
 * pages back to the system (Bun's returns them some hundreds of ms after a collection), and a
 * second `/stats` reads the RSS — so the figure is what the connections keep, not how much of the
 * handshakes' garbage happened to be still mapped at the moment of reading.
 */
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import type { Sample } from "./sample.ts";
import { type BenchSocket, openSocket } from "./socket.ts";
import { openMany, sleep, wsUrl } from "./timing.ts";

/** Connect/close cycles before the first sample, so first-use allocations are not counted. */
export const WARMUP_CONNECTIONS = 100;
const HANDSHAKES_IN_FLIGHT = 32;
/** Between the last handshake and the sample. */
export const SETTLE_MS = 1000;
/** Between the collection and the reading of a settled sample. */
const RETURN_PAGES_MS = 1000;

/**
 * A sample taken once a full GC has run and the allocator had time to return the freed pages
 * (also the scale bench's memory reading, `bench/scale.ts`).
 */
export async function settledSample(origin: string): Promise<Sample> {
  await takeSample(origin);
  await sleep(RETURN_PAGES_MS);
  return takeSample(origin);
}

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

  const before = await settledSample(job.origin);
  const held = await openMany(count, HANDSHAKES_IN_FLIGHT, open);
  await sleep(SETTLE_MS);
  const after = await settledSample(job.origin);
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
    bytesPerConnection: (cost.rssAnonAfter - cost.rssAnonBefore) / count,
    rssBytesPerConnection: (cost.rssAfter - cost.rssBefore) / count,
    errors,
  };
}
