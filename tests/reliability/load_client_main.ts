/**
 * The load client (Node + `ws`): opens `SESSIONS` sessions to `URL`, each
 * sending numbered text messages at `RATE` per second for `DURATION_MS`, and
 * checks every echo: the next number expected, none lost, none reordered.
 * Then it closes every session with 1000. Prints JSON lines:
 * `{"event":"connected",…}`, `{"event":"stopping",…}`, `{"event":"done",…}`.
 *
 * `URL=ws://127.0.0.1:PORT/echo SESSIONS=2000 DURATION_MS=10000 node --import tsx tests/reliability/load_client_main.ts`
 * @module
 */
import process from "node:process";
import { WebSocket } from "ws";

const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const url = process.env.URL ?? "";
const sessions = env("SESSIONS", 2000);
const durationMs = env("DURATION_MS", 10_000);
const rate = env("RATE", 1);
const size = env("SIZE", 64);
const TICK_MS = 20;
const print = (message: Record<string, unknown>): void => console.log(JSON.stringify({ ...message, at: Date.now() }));

interface Client {
  ws: WebSocket;
  sent: number;
  expected: number;
  sentAt: number[];
  closed: Promise<number>;
}

let reordered = 0;
let received = 0;
const rtts: number[] = [];
const padding = "x".repeat(size);

function open(index: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let resolveClosed!: (code: number) => void;
    const client: Client = { ws, sent: 0, expected: 0, sentAt: [], closed: new Promise((r) => (resolveClosed = r)) };
    ws.on("open", () => resolve(client));
    ws.on("error", (error) => reject(error));
    ws.on("close", (code) => resolveClosed(code));
    ws.on("message", (data) => {
      const text = String(data);
      const seq = Number(text.slice(text.indexOf(":") + 1, text.indexOf(":", text.indexOf(":") + 1)));
      if (!text.startsWith(`${index}:`) || seq !== client.expected) reordered++;
      client.expected = seq + 1;
      received++;
      const at = client.sentAt[seq];
      if (at !== undefined) rtts.push(performance.now() - at);
    });
  });
}

const connectStarted = Date.now();
const clients: Client[] = [];
for (let i = 0; i < sessions; i += 100) {
  const batch = [];
  for (let j = i; j < Math.min(sessions, i + 100); j++) batch.push(open(j));
  clients.push(...(await Promise.all(batch)));
}
print({ event: "connected", sessions: clients.length, connectMs: Date.now() - connectStarted });

const ticksPerPeriod = Math.max(1, Math.round(1000 / rate / TICK_MS));
let tick = 0;
const sendStarted = Date.now();
const timer = setInterval(() => {
  const slot = tick++ % ticksPerPeriod;
  for (let i = slot; i < clients.length; i += ticksPerPeriod) {
    const client = clients[i]!;
    const seq = client.sent++;
    client.sentAt[seq] = performance.now();
    client.ws.send(`${i}:${seq}:${padding}`);
  }
}, TICK_MS);
await new Promise((resolve) => setTimeout(resolve, durationMs));
clearInterval(timer);
const sendMs = Date.now() - sendStarted;
print({ event: "stopping" });

const sent = clients.reduce((n, c) => n + c.sent, 0);
const drainDeadline = Date.now() + 15_000;
while (received < sent && Date.now() < drainDeadline) await new Promise((resolve) => setTimeout(resolve, 50));
const closeStarted = Date.now();
for (const client of clients) client.ws.close(1000, "done");
const codes = await Promise.race([
  Promise.all(clients.map((c) => c.closed)),
  new Promise<null>((resolve) => setTimeout(() => resolve(null), 15_000)),
]);
rtts.sort((a, b) => a - b);
const q = (p: number): number => Math.round((rtts[Math.min(rtts.length - 1, Math.floor(p * rtts.length))] ?? NaN) * 100) / 100;
print({
  event: "done",
  sessions: clients.length,
  sent,
  received,
  lost: sent - received,
  reordered,
  sendMs,
  rateAchieved: Math.round(sent / (sendMs / 1000)),
  rttP50ms: q(0.5),
  rttP99ms: q(0.99),
  closedWith1000: codes === null ? -1 : codes.filter((c) => c === 1000).length,
  closeMs: Date.now() - closeStarted,
});
process.exit(0);
