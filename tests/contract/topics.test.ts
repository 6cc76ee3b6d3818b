import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, Session } from "../../mod.ts";
import { stateOf } from "../../src/container.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually, sleep } from "../support/client.ts";
import { openRawWebSocket } from "../support/raw_socket.ts";
import { ADAPTER } from "../support/runtime.ts";
import type { Socket } from "node:net";
import { Buffer } from "node:buffer";

/** Reads a paused raw socket until a close frame ends what it got, or the socket ends; keeps the last 64 KiB. */
function readUntilEnd(socket: Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    let tail: Buffer = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      tail = Buffer.concat([tail, chunk]);
      if (tail.length > 65536) tail = tail.subarray(tail.length - 65536);
      if (closeCodeAtEnd(tail) !== -1) resolve(tail);
    });
    socket.on("close", () => resolve(tail));
    socket.on("error", () => {});
    socket.resume();
  });
}

/** The code of the unmasked close frame that ends `data`, or -1. */
function closeCodeAtEnd(data: Buffer): number {
  for (let length = 2; length <= 125; length++) {
    const start = data.length - length - 2;
    if (start >= 0 && data[start] === 0x88 && data[start + 1] === length) return data.readUInt16BE(start + 2);
  }
  return -1;
}

describe(`topics [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const sessions = new Map<string, Session>();
  const closes: string[] = [];
  const container = createContainer();
  // Commands: "sub T", "unsub T", "pub T text", "topics".
  addEndpoint(container, "/t/{name}", {
    backpressureLimit: 256 * 1024,
    onOpen: (session) => {
      sessions.set(session.pathParameters.name!, session);
      return session;
    },
    onText: (session, text) => {
      const s = session as Session;
      const [command, topic, ...rest] = text.split(" ");
      if (command === "sub") s.subscribe(topic!);
      else if (command === "unsub") s.unsubscribe(topic!);
      else if (command === "pub") s.publish(topic!, rest.join(" "));
      else if (command === "topics") void s.asyncRemote.sendText([...s.topics].sort().join(","));
    },
    onClose: (_o, session, reason) => void closes.push(`${session.pathParameters.name} ${reason.code}`),
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown());

  const join = async (name: string, topics: string[]) => {
    const client = await connect(`${server.url}/t/${name}`);
    for (const topic of topics) client.send(`sub ${topic}`);
    client.send("topics");
    assert.equal(await client.next(), [...topics].sort().join(","));
    return client;
  };

  test("session.publish reaches every subscriber but the sender; unsubscribe stops delivery", async () => {
    const a = await join("a", ["room"]);
    const b = await join("b", ["room", "other"]);
    const c = await join("c", ["other"]);
    a.send("pub room hello");
    assert.equal(await b.next(), "hello");
    c.send("pub other to-b");
    assert.equal(await b.next(), "to-b");
    b.send("unsub room");
    b.send("topics");
    assert.equal(await b.next(), "other");
    a.send("pub room nobody");
    c.send("pub other marker");
    assert.equal(await b.next(), "marker", "b no longer gets room messages");
    await sleep(30);
    assert.equal(a.received.length, 1, "the sender does not get its own message");
    for (const client of [a, b, c]) client.close(1000);
    await Promise.all([a.closed, b.closed, c.closed]);
  });

  test("container.publish reaches every subscriber; order per publisher is kept", async () => {
    const a = await join("a2", ["news"]);
    const b = await join("b2", ["news"]);
    for (let i = 0; i < 200; i++) container.publish("news", `n${i}`);
    container.publish("news", new Uint8Array([1, 2, 3]));
    const expected = Array.from({ length: 200 }, (_, i) => `n${i}`);
    for (const client of [a, b]) {
      const got = await client.waitFor(202);
      assert.deepEqual(got.slice(1, 201), expected);
      assert.deepEqual([...(got[201] as Uint8Array)], [1, 2, 3]);
    }
    a.close(1000);
    b.close(1000);
    await Promise.all([a.closed, b.closed]);
  });

  test("a session's topics vanish when it closes", async () => {
    const clients = [];
    for (let i = 0; i < 5; i++) clients.push(await join(`x${i}`, ["t1", `own${i}`]));
    assert.ok(stateOf(container).topics.size >= 6);
    for (const client of clients) client.close(1000);
    await Promise.all(clients.map((client) => client.closed));
    await eventually(() => stateOf(container).topics.size === 0, 2000, "an empty topic table");
  });

  test("a subscriber that stops reading is closed with 1008; a fast one gets everything in order", async () => {
    closes.length = 0;
    const fast = await join("fast", ["firehose"]);
    const slow = await openRawWebSocket(`${server.url}/t/slow`);
    await eventually(() => sessions.get("slow")?.isOpen === true);
    const slowSession = sessions.get("slow")!;
    slowSession.subscribe("firehose");
    slow.pause();
    const chunk = "y".repeat(8 * 1024); // 20 per tick stay under the 256 KiB limit for a fast reader
    let published = 0;
    for (let round = 0; round < 2000 && slowSession.isOpen; round++) {
      for (let i = 0; i < 20; i++) container.publish("firehose", `${published++} ${chunk}`);
      await sleep(2);
    }
    assert.equal(slowSession.isOpen, false, "the slow subscriber was not closed");
    // Once it reads again, the slow client finds a 1008 close frame after what was already buffered.
    const tail = await readUntilEnd(slow);
    assert.equal(closeCodeAtEnd(tail), 1008);
    slow.destroy();
    await eventually(() => closes.includes("slow 1008"), 6000, "onClose of the slow subscriber");
    const got = await fast.waitFor(published + 1, 20_000);
    for (let i = 0; i < published; i++) {
      assert.equal((got[i + 1] as string).slice(0, String(i).length + 1), `${i} `);
    }
    fast.close(1000);
    await fast.closed;
  });

  test("empty or non-string topics are refused with a TypeError", async () => {
    const a = await join("bad", []);
    const session = sessions.get("bad")!;
    assert.throws(() => session.subscribe(""), TypeError);
    assert.throws(() => session.subscribe(42 as unknown as string), TypeError);
    assert.throws(() => session.publish("", "x"), TypeError);
    assert.throws(() => container.publish(undefined as unknown as string, "x"), TypeError);
    assert.throws(() => container.publish("t", 42 as unknown as string), TypeError);
    a.close(1000);
    await a.closed;
  });
});
