/**
 * Topics across processes and runtimes: one Deno, one Bun and one Node
 * process (each its runtime's own adapter) serve `/room/{topic}` attached to
 * one real redis-server; two clients on each publish numbered messages.
 *
 * - every client gets every other publisher's messages, exact and in order,
 *   and none of its own;
 * - Redis killed (SIGKILL) mid-stream: local delivery never stops; restarted
 *   on the same port: remote delivery resumes by itself within seconds.
 *
 * `BACKPLANE_MESSAGES` (default 1000) sets how many each client publishes.
 * `npx tsx --test tests/backplane/cross_process.test.ts`
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { JsonChild, commandFor } from "../reliability/child_process.ts";
import { connect, sleep } from "../support/client.ts";
import type { Received, TestClient } from "../support/client.ts";
import { RedisServer, SKIP_WITHOUT_REDIS } from "../support/redis_server.ts";
import { envNumber } from "../reliability/scale.ts";
import { createClient } from "redis";

const RUNTIMES = ["deno", "bun", "node"] as const;
const MESSAGES = envNumber("BACKPLANE_MESSAGES", 1000);
const PREFIX = "cross-test:";
const TAIL = "|é→🙂";
const BINARY_TAIL = [0x00, 0xff, 0xc3, 0x28]; // a zero byte and invalid UTF-8: binary must stay binary

interface Peer {
  readonly id: number;
  readonly runtime: (typeof RUNTIMES)[number];
  readonly client: TestClient;
}

/** Message `seq` of client `id`: text, or (every fifth) binary. */
function message(id: number, seq: number): string | Uint8Array {
  if (seq % 5 !== 4) return `${id}|${seq}${TAIL}`;
  const bytes = new Uint8Array(6 + BINARY_TAIL.length);
  bytes[0] = 0xb1;
  bytes[1] = id;
  new DataView(bytes.buffer).setUint32(2, seq);
  bytes.set(BINARY_TAIL, 6);
  return bytes;
}

/** [sender, seq] of a received message, checking it arrived exactly as sent. */
function parse(received: Received): [number, number] {
  let sender: number;
  let seq: number;
  if (typeof received === "string") {
    const [a, b] = received.split("|");
    sender = Number(a);
    seq = Number(b);
  } else {
    assert.equal(received[0], 0xb1, "a binary message kept its first byte");
    sender = received[1]!;
    seq = new DataView(received.buffer, received.byteOffset).getUint32(2);
  }
  assert.deepEqual(received, message(sender, seq), "a message arrived exactly as sent, as text or binary");
  return [sender, seq];
}

/** Per sender, the seqs a client received, in arrival order. */
function bySender(client: TestClient): Map<number, number[]> {
  const seen = new Map<number, number[]>();
  for (const received of client.received) {
    const [sender, seq] = parse(received);
    let list = seen.get(sender);
    if (list === undefined) seen.set(sender, (list = []));
    list.push(seq);
  }
  return seen;
}

async function stats(url: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${url.replace(/^ws/, "http")}/stats`);
  return (await response.json()) as Record<string, unknown>;
}

describe("redis backplane across a Deno, a Bun and a Node process", { skip: SKIP_WITHOUT_REDIS }, () => {
  let redis: RedisServer;
  const children: JsonChild[] = [];
  const urls: string[] = [];
  const clients: TestClient[] = [];

  before(async () => {
    redis = await RedisServer.start();
    for (const runtime of RUNTIMES) {
      const child = new JsonChild(commandFor(runtime, "tests/backplane/room_server.ts"), {
        REDIS_URL: redis.url,
        PREFIX,
        PLINTH_ADAPTER: runtime,
      });
      children.push(child);
    }
    for (const child of children) {
      const listening = await child.waitFor("listening", 60_000);
      urls.push(String(listening.url));
    }
  });

  after(async () => {
    for (const client of clients) client.close();
    await Promise.all(children.map((child) => child.kill()));
    await redis?.stop();
  });

  /** Two clients on each server, all on `topic`; resolves once every process holds its Redis subscription. */
  async function join(topic: string): Promise<Peer[]> {
    const peers: Peer[] = [];
    for (let server = 0; server < RUNTIMES.length; server++) {
      for (let k = 0; k < 2; k++) {
        const client = await connect(`${urls[server]}/room/${topic}`);
        clients.push(client);
        peers.push({ id: peers.length, runtime: RUNTIMES[server]!, client });
      }
    }
    const query = createClient({ url: redis.url });
    query.on("error", () => {});
    await query.connect();
    try {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const reply = (await query.sendCommand(["PUBSUB", "NUMSUB", PREFIX + topic])) as [unknown, number];
        if (Number(reply[1]) === RUNTIMES.length) break;
        if (Date.now() > deadline) assert.fail(`only ${reply[1]} processes subscribed to ${PREFIX}${topic}`);
        await sleep(20);
      }
    } finally {
      await query.close();
    }
    return peers;
  }

  test(`six publishers, ${MESSAGES} messages each: all others get all, exact and in order; the sender none of its own`, async () => {
    const peers = await join("ordered");
    for (let seq = 0; seq < MESSAGES; seq++) {
      for (const peer of peers) peer.client.send(message(peer.id, seq));
    }
    const expected = MESSAGES * (peers.length - 1);
    const deadline = Date.now() + 60_000 + MESSAGES * 20;
    while (peers.some((peer) => peer.client.received.length < expected) && Date.now() < deadline) await sleep(50);
    const all = Array.from({ length: MESSAGES }, (_, i) => i);
    for (const peer of peers) {
      const seen = bySender(peer.client);
      assert.equal(seen.get(peer.id), undefined, `client ${peer.id} (${peer.runtime}) got none of its own`);
      for (const sender of peers) {
        if (sender === peer) continue;
        assert.deepEqual(
          seen.get(sender.id) ?? [],
          all,
          `client ${peer.id} (${peer.runtime}) got every message of ${sender.id} (${sender.runtime}), in order`,
        );
      }
    }
    await sleep(200);
    for (const peer of peers) assert.equal(peer.client.received.length, expected, "nothing arrived twice or late");
  });

  test("Redis killed mid-stream: local delivery never stops; restarted, remote delivery resumes by itself", async () => {
    const peers = await join("outage");
    const sent = peers.map(() => 0);
    let sending = true;
    const pump = (async () => {
      while (sending) {
        for (const peer of peers) peer.client.send(message(peer.id, sent[peer.id]!++));
        await sleep(10);
      }
    })();
    try {
      await sleep(500);
      const before = Promise.all(urls.map(stats));
      const dropsBefore = (await before).map((s) => Number(s.dropped));
      await redis.kill("SIGKILL");
      const killedAt = sent.slice();
      await sleep(1500);
      const restartedAt = sent.slice();
      const restartTime = Date.now();
      await redis.restart();
      // Remote delivery resumes: every client gets a message sent after the restart from every remote sender.
      let recoveredIn = -1;
      const deadline = restartTime + 15_000;
      while (Date.now() < deadline) {
        const recovered = peers.every((peer) => {
          const seen = bySender(peer.client);
          return peers.every((sender) =>
            sender === peer || (seen.get(sender.id) ?? []).some((seq) => seq >= restartedAt[sender.id]!)
          );
        });
        if (recovered) {
          recoveredIn = Date.now() - restartTime;
          break;
        }
        await sleep(50);
      }
      assert.ok(recoveredIn >= 0, "remote delivery resumed within 15 s of the restart");
      console.log(`# remote delivery resumed ${recoveredIn} ms after redis-server was restarted`);
      await sleep(300);
      sending = false;
      await pump;
      await sleep(500);

      for (const peer of peers) {
        const seen = bySender(peer.client);
        const local = peers.find((other) => other !== peer && other.runtime === peer.runtime)!;
        // Local delivery never depended on Redis: every message of the local peer, in order, no gap.
        assert.deepEqual(
          seen.get(local.id),
          Array.from({ length: sent[local.id]! }, (_, i) => i),
          `client ${peer.id} (${peer.runtime}) got every message of its local peer through the outage`,
        );
        for (const sender of peers) {
          if (sender.runtime === peer.runtime) continue;
          const seqs = seen.get(sender.id) ?? [];
          // At most once, in order: strictly increasing, gaps allowed (the outage).
          for (let i = 1; i < seqs.length; i++) {
            assert.ok(seqs[i]! > seqs[i - 1]!, `remote messages of ${sender.id} reached ${peer.id} in order, once`);
          }
          const window = restartedAt[sender.id]! - killedAt[sender.id]!;
          const arrived = seqs.filter((seq) => seq >= killedAt[sender.id]! && seq < restartedAt[sender.id]!).length;
          assert.ok(arrived < window / 2, `messages sent during the outage were lost, not queued (${arrived} of ${window} arrived)`);
        }
      }
      const after = await Promise.all(urls.map(stats));
      for (let i = 0; i < after.length; i++) {
        assert.ok(Number(after[i]!.dropped) > dropsBefore[i]!, `${RUNTIMES[i]}: publishes during the outage were counted as dropped`);
        assert.equal(after[i]!.connected, true, `${RUNTIMES[i]}: reconnected`);
        assert.ok(
          (after[i]!.errors as string[]).some((msg) => msg.includes("lost the connection")),
          `${RUNTIMES[i]}: the outage was logged`,
        );
      }
    } finally {
      sending = false;
      await pump;
    }
    for (const child of children) assert.equal(child.child.exitCode, null, "no server crashed");
  });
});
