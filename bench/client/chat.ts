/**
 * Chat fan-out workload (the Bun chat-bench method): `chatClients` sockets in one room on
 * `/chat`; the server sends every message to every client, sender included. Each client keeps at
 * most `chatWindow` of its own messages in flight — its own message coming back is the ack.
 * Deliveries (messages received by all clients) are counted over 1-second windows; the first
 * window is dropped as warm-up.
 */
import type { ClientJob, ClientResult } from "../types.ts";
import { takeSample, windowCost } from "./sample.ts";
import { type BenchSocket, firstCode, openSocket } from "./socket.ts";
import { openMany, payload, sleep, wsUrl } from "./timing.ts";

/** First character of client `i`'s messages: '0', '1', … (64 distinct ASCII codes from 48). */
const CODE_BASE = 48;

/** Runs the chat workload against `job.origin` and reports it. */
export async function runChat(job: ClientJob): Promise<ClientResult> {
  const { chatClients, chatWindow, messageBytes } = job.params;
  if (chatClients > 64) throw new Error("chat supports at most 64 clients");
  const url = wsUrl(job.origin, "/chat");
  let running = true;
  let delivered = 0;
  let errors = 0;

  const sockets = await openMany(chatClients, 16, async (i) => {
    const code = CODE_BASE + i;
    const message = payload(String.fromCharCode(code), messageBytes);
    let socket: BenchSocket | undefined;
    socket = await openSocket(url, {
      onMessage(data) {
        delivered++;
        if (running && socket && firstCode(data) === code) socket.send(message);
      },
      onClose() {
        if (running) errors++;
      },
    });
    return { socket, start(): void {
      for (let k = 0; k < chatWindow; k++) socket?.send(message);
    } };
  });
  // Let every server register its sockets in the room before anyone speaks.
  await sleep(200);
  for (const s of sockets) s.start();

  await sleep(Math.max(1, job.warmupSeconds) * 1000);
  const before = await takeSample(job.origin);
  const windows: number[] = [];
  let mark = delivered;
  const start = mark;
  for (let w = 0; w < job.durationSeconds; w++) {
    await sleep(1000);
    windows.push(delivered - mark);
    mark = delivered;
  }
  const after = await takeSample(job.origin);
  const ops = mark - start;
  running = false;
  for (const s of sockets) s.socket.close();

  const cost = windowCost(before, after);
  return {
    workload: "chat",
    ops,
    rate: ops / cost.seconds,
    cost,
    serverCpuMicrosPerOp: cost.serverCpuMicros / Math.max(1, ops),
    windows,
    errors,
  };
}
