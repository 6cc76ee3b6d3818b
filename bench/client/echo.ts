/**
 * Echo workload: `echoClients` sockets on `/echo`, each keeping `echoWindow` text messages in
 * flight (a new one is sent as soon as one comes back). Measures echoed messages per second and
 * the round-trip time of every message received inside the window (p50, p99).
 */
import { performance } from "node:perf_hooks";
import { quantile } from "../stats.ts";
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import { type BenchSocket, openSocket } from "./socket.ts";
import { openMany, payload, sleep, wsUrl } from "./timing.ts";

/** Runs the echo workload against `job.origin` and reports it. */
export async function runEcho(job: ClientJob): Promise<ClientResult> {
  const { echoClients, echoWindow, messageBytes } = job.params;
  const message = payload("e", messageBytes);
  const url = wsUrl(job.origin, "/echo");
  let running = true;
  let measuring = false;
  let received = 0;
  let errors = 0;
  const rtts: number[] = [];

  const sockets = await openMany(echoClients, 16, async () => {
    // Send times of the messages in flight, oldest first: the echo preserves order.
    const sentAt = new Float64Array(echoWindow);
    let head = 0;
    let tail = 0;
    let socket: BenchSocket | undefined;
    socket = await openSocket(url, {
      onMessage() {
        const now = performance.now();
        const rtt = now - (sentAt[head] ?? now);
        head = (head + 1) % echoWindow;
        if (measuring) {
          received++;
          rtts.push(rtt);
        }
        if (running && socket) {
          sentAt[tail] = performance.now();
          tail = (tail + 1) % echoWindow;
          socket.send(message);
        }
      },
      onClose() {
        if (running) errors++;
      },
    });
    return { socket, start(): void {
      for (let i = 0; i < echoWindow; i++) {
        sentAt[tail] = performance.now();
        tail = (tail + 1) % echoWindow;
        socket?.send(message);
      }
    } };
  });
  for (const s of sockets) s.start();

  await sleep(job.warmupSeconds * 1000);
  const before = await takeSample(job.origin);
  measuring = true;
  await sleep(job.durationSeconds * 1000);
  measuring = false;
  const after = await takeSample(job.origin);
  running = false;
  for (const s of sockets) s.socket.close();

  const cost = windowCost(before, after);
  return {
    workload: "echo",
    ops: received,
    rate: received / cost.seconds,
    cost,
    serverCpuMicrosPerOp: cost.serverCpuMicros / Math.max(1, received),
    p50Ms: quantile(rtts, 0.5),
    p99Ms: quantile(rtts, 0.99),
    errors,
  };
}
