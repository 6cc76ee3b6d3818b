/**
 * Smoke check of one bench server: `/stats` answers JSON; `/echo` returns a text and a binary
 * message unchanged; on `/chat` a message from one client reaches both clients of the room.
 * Throws with a description of the first failure.
 */
import { asText, type BenchSocket, type MessageData, openSocket } from "./socket.ts";
import { sleep, wsUrl } from "./timing.ts";
import { fetchStats } from "./sample.ts";

const TIMEOUT_MS = 5000;

/** A socket whose next message can be awaited. */
interface Probe {
  socket: BenchSocket;
  next(): Promise<{ data: MessageData; isBinary: boolean }>;
}

async function probe(url: string): Promise<Probe> {
  const queue: { data: MessageData; isBinary: boolean }[] = [];
  const waiters: ((m: { data: MessageData; isBinary: boolean }) => void)[] = [];
  const socket = await openSocket(url, {
    onMessage(data, isBinary) {
      const copy = typeof data === "string" ? data : new Uint8Array(data instanceof Uint8Array ? data : new Uint8Array(data)).slice();
      const waiter = waiters.shift();
      if (waiter) waiter({ data: copy, isBinary });
      else queue.push({ data: copy, isBinary });
    },
  });
  return {
    socket,
    next() {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return Promise.race([
        new Promise<{ data: MessageData; isBinary: boolean }>((resolve) => waiters.push(resolve)),
        sleep(TIMEOUT_MS).then(() => {
          throw new Error(`no message on ${url} within ${TIMEOUT_MS} ms`);
        }),
      ]);
    },
  };
}

function expect(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Runs the smoke check against the server at `origin`. */
export async function runSmoke(origin: string): Promise<void> {
  const stats = await fetchStats(origin);
  expect(
    [stats.cpuUserMicros, stats.cpuSystemMicros, stats.rss].every((n) => typeof n === "number" && n >= 0) && stats.rss > 0,
    `/stats answered ${JSON.stringify(stats)}`,
  );

  const echo = await probe(wsUrl(origin, "/echo"));
  echo.socket.send("hello, plinth ü");
  const text = await echo.next();
  expect(!text.isBinary && asText(text.data) === "hello, plinth ü", `/echo text came back as ${JSON.stringify(asText(text.data))} (binary: ${text.isBinary})`);
  echo.socket.send(new Uint8Array([0, 1, 2, 250, 255]));
  const binary = await echo.next();
  const bytes = typeof binary.data === "string" ? [] : [...new Uint8Array(binary.data instanceof Uint8Array ? binary.data : new Uint8Array(binary.data))];
  expect(binary.isBinary && bytes.join(",") === "0,1,2,250,255", `/echo binary came back as ${bytes.join(",")} (binary: ${binary.isBinary})`);
  echo.socket.close();

  const a = await probe(wsUrl(origin, "/chat"));
  const b = await probe(wsUrl(origin, "/chat"));
  await sleep(100);
  a.socket.send("from a");
  for (const [name, p] of [["sender", a], ["other client", b]] as const) {
    const got = await p.next();
    expect(asText(got.data) === "from a", `/chat: the ${name} got ${JSON.stringify(asText(got.data))}`);
  }
  a.socket.close();
  b.socket.close();
}
