/**
 * Connect-rate workload: `connectConcurrency` loops, each opening a WebSocket to `/echo`,
 * closing it as soon as it is open (normal close handshake) and starting the next.
 * Measures completed handshakes per second.
 */
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import { openSocket } from "./socket.ts";
import { sleep, wsUrl } from "./timing.ts";

/** Runs the connect workload against `job.origin` and reports it. */
export async function runConnect(job: ClientJob): Promise<ClientResult> {
  const url = wsUrl(job.origin, "/echo");
  let running = true;
  let measuring = false;
  let opened = 0;
  let errors = 0;

  const loop = async (): Promise<void> => {
    while (running) {
      try {
        await new Promise<void>((resolve, reject) => {
          openSocket(url, { onMessage() {}, onClose: resolve }).then((socket) => {
            if (measuring) opened++;
            socket.close();
          }, reject);
        });
      } catch {
        errors++;
        await sleep(10);
      }
    }
  };
  const loops = Array.from({ length: job.params.connectConcurrency }, loop);

  await sleep(job.warmupSeconds * 1000);
  const before = await takeSample(job.origin);
  measuring = true;
  await sleep(job.durationSeconds * 1000);
  measuring = false;
  const after = await takeSample(job.origin);
  running = false;
  // Loops end at their next close; do not wait for a server that never closes.
  await Promise.race([Promise.all(loops), sleep(3000)]);

  const cost = windowCost(before, after);
  return {
    workload: "connect",
    ops: opened,
    rate: opened / cost.seconds,
    cost,
    serverCpuMicrosPerOp: cost.serverCpuMicros / Math.max(1, opened),
    errors,
  };
}
