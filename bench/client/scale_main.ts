/**
 * A load-client process of the scale bench (`bench/scale.ts`): holds many silent WebSockets to
 * one server's `/room` and times broadcasts as they arrive. Started once per client share by the
 * runner (`bun bench/client/scale_main.ts`, or on Node with `ws`), it takes one JSON command per line on stdin and
 * answers each with one JSON line on stdout:
 *
 * - `{"cmd":"open","url":U,"count":N,"concurrency":C,"localAddress":A}` → `{"opened":N,"errors":E,"ms":T}`:
 *   opens N sockets to U with at most C handshakes in flight (from source address A, on Node).
 * - `{"cmd":"reset"}` → `{}`: forgets the receipts so far.
 * - `{"cmd":"report"}` → `{"received":R,"first":F,"last":L,"open":O}`: receipts since the reset
 *   (epoch ms of the first and the last), and how many sockets are still open.
 * - `{"cmd":"close"}` → `{"closed":N}`: closes every socket, resolves when their close completed
 *   (or after 5 s).
 *
 * It exits when stdin ends.
 */
import process from "node:process";
import { createInterface } from "node:readline";
import { type BenchSocket, openSocket } from "./socket.ts";
import { openMany, sleep } from "./timing.ts";

interface Command {
  cmd: "open" | "reset" | "report" | "close";
  url?: string;
  count?: number;
  concurrency?: number;
  /** Source address of the sockets (Node client only). */
  localAddress?: string;
}

const sockets: BenchSocket[] = [];
let open = 0;
let received = 0;
let first = 0;
let last = 0;

function now(): number {
  return performance.timeOrigin + performance.now();
}

const handlers = {
  onMessage(): void {
    const t = now();
    if (received++ === 0) first = t;
    last = t;
  },
  onClose(): void {
    open--;
  },
};

async function run(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "open": {
      const started = now();
      let errors = 0;
      let opened = 0;
      const url = command.url ?? "";
      await openMany(command.count ?? 0, command.concurrency ?? 16, async () => {
        for (let attempt = 0; attempt < 3; attempt++) {
          try {
            const socket = await openSocket(url, handlers, command.localAddress);
            open++;
            opened++;
            sockets.push(socket);
            return;
          } catch {
            errors++;
            await sleep(20);
          }
        }
      });
      return { opened, errors, ms: now() - started };
    }
    case "reset":
      received = 0;
      first = 0;
      last = 0;
      return {};
    case "report":
      return { received, first, last, open };
    case "close": {
      const count = sockets.length;
      for (const socket of sockets) socket.close();
      sockets.length = 0;
      const deadline = Date.now() + 5000;
      while (open > 0 && Date.now() < deadline) await sleep(50);
      return { closed: count, open };
    }
  }
}

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() === "") continue;
  let answer: unknown;
  try {
    answer = await run(JSON.parse(line) as Command);
  } catch (error) {
    answer = { error: error instanceof Error ? error.message : String(error) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
process.exit(0);
