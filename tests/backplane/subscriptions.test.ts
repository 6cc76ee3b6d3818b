/**
 * The Redis backplane in one process, on a real redis-server: a process holds
 * one subscription per topic only while it has local subscribers, publishing
 * alone subscribes nothing, thousands of subscribe/unsubscribe cycles leave
 * nothing behind, own echoes are ignored, text and binary arrive exact.
 * Runs on the runtime that runs it, with `PLINTH_ADAPTER`'s adapter.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createClient } from "redis";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { ServerContainer, Session } from "../../mod.ts";
import { redisBackplane } from "../../adapters/redis.ts";
import type { RedisBackplane } from "../../adapters/redis.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually, sleep } from "../support/client.ts";
import type { TestClient } from "../support/client.ts";
import { RedisServer, SKIP_WITHOUT_REDIS } from "../support/redis_server.ts";
import { ADAPTER } from "../support/runtime.ts";
import type { PlinthServer } from "../../mod.ts";

const PREFIX = "subs-test:";

describe(`redis backplane subscriptions [${ADAPTER}]`, { skip: SKIP_WITHOUT_REDIS }, () => {
  let redis: RedisServer;
  let query: ReturnType<typeof createClient>;
  let backplane: RedisBackplane;
  let other: RedisBackplane;
  let otherContainer: ServerContainer;
  let server: PlinthServer;
  const clients: TestClient[] = [];
  const logged: string[] = [];

  const numsub = async (topic: string): Promise<number> => {
    const reply = (await query.sendCommand(["PUBSUB", "NUMSUB", PREFIX + topic])) as [unknown, number];
    return Number(reply[1]);
  };
  const channels = async (): Promise<string[]> =>
    ((await query.sendCommand(["PUBSUB", "CHANNELS", `${PREFIX}*`])) as unknown[]).map(String).sort();
  const numsubBecomes = async (topic: string, expected: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    let last = -1;
    while ((last = await numsub(topic)) !== expected) {
      if (Date.now() > deadline) assert.fail(`PUBSUB NUMSUB ${PREFIX}${topic} stayed ${last}, expected ${expected}`);
      await sleep(10);
    }
  };
  /** A client of the command endpoint; the command "echo" answers once the commands before it ran. */
  const client = async (): Promise<TestClient> => {
    const c = await connect(`${server.url}/cmd`);
    clients.push(c);
    return c;
  };
  const command = async (c: TestClient, text: string): Promise<void> => {
    const before = c.received.length;
    c.send(text);
    c.send("echo done");
    await eventually(() => c.received.slice(before).includes("done"), 10_000, `"${text}" to run`);
    c.received.splice(c.received.lastIndexOf("done"), 1);
  };

  before(async () => {
    redis = await RedisServer.start();
    query = createClient({ url: redis.url });
    query.on("error", () => {});
    await query.connect();
    backplane = redisBackplane({ url: redis.url, prefix: PREFIX });
    const container = createContainer({ backplane, logger: { error: (msg) => void logged.push(msg) } });
    addEndpoint(container, "/cmd", {
      onOpen: (session) => session,
      onText: (session: Session, text) => {
        const [verb, topic = "", countText = "0"] = text.split(" ");
        const count = Number(countText);
        if (verb === "sub") session.subscribe(topic);
        else if (verb === "unsub") session.unsubscribe(topic);
        else if (verb === "pub") session.publish(topic, countText);
        else if (verb === "cycle") {
          for (let i = 0; i < count; i++) {
            session.subscribe(topic);
            session.unsubscribe(topic);
          }
        } else if (verb === "cycle-many") {
          for (let i = 0; i < count; i++) session.subscribe(`${topic}${i}`);
          for (let i = 0; i < count; i++) session.unsubscribe(`${topic}${i}`);
        } else if (verb === "cycle-async") {
          // Subscribe and unsubscribe across turns, so commands meet each other in flight.
          void (async () => {
            for (let i = 0; i < count; i++) {
              session.subscribe(topic);
              await new Promise((resolve) => setTimeout(resolve, i % 3));
              session.unsubscribe(topic);
              if (i % 2 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
            }
            void session.asyncRemote.sendText("cycled");
          })();
        } else if (verb === "echo") void session.asyncRemote.sendText(topic);
      },
    });
    server = await serveWith(container);
    // A second backplane: another origin, as another process would be.
    other = redisBackplane({ url: redis.url, prefix: PREFIX });
    otherContainer = createContainer({ backplane: other });
    await Promise.all([backplane.ready, other.ready]);
  });

  after(async () => {
    for (const c of clients) c.close();
    await server?.shutdown();
    await Promise.all([backplane?.close(), other?.close()]);
    await query?.close().catch(() => {});
    await redis?.stop();
  });

  test("one subscription per process while it has local subscribers; gone after the last leaves or closes", async () => {
    const a = await client();
    const b = await client();
    await command(a, "sub room");
    await command(b, "sub room");
    await numsubBecomes("room", 1);
    await command(a, "unsub room");
    await sleep(50);
    assert.equal(await numsub("room"), 1, "b still listens");
    await command(b, "unsub room");
    await numsubBecomes("room", 0);

    const c = await client();
    await command(c, "sub closing");
    await numsubBecomes("closing", 1);
    c.close();
    await numsubBecomes("closing", 0);
    await eventually(() => backplane.channels === 0, 5000, "the backplane to forget its channels");
    assert.deepEqual(logged, []);
  });

  test("publishing alone subscribes nothing", async () => {
    const a = await client();
    const published = backplane.stats.published;
    await command(a, "pub lonely hello");
    await eventually(() => backplane.stats.published === published + 1, 5000, "the publish to be acknowledged");
    assert.deepEqual(await channels(), []);
    assert.equal(backplane.channels, 0);
  });

  test("thousands of subscribe/unsubscribe cycles leave nothing behind, and a final subscribe holds", async () => {
    const a = await client();
    await command(a, "cycle spin 5000");
    await command(a, "cycle-many many 3000");
    a.send("cycle-async slow 400");
    await eventually(() => a.received.includes("cycled"), 20_000, "the cycles across turns");
    a.received.length = 0;
    await sleep(100);
    await eventually(() => backplane.channels === 0, 10_000, "the backplane to forget its channels");
    assert.deepEqual(await channels(), []);
    // Cycles that end subscribed leave exactly one subscription, which works.
    await command(a, "cycle last 2001");
    await command(a, "sub last");
    await numsubBecomes("last", 1);
    assert.equal(backplane.channels, 1);
    otherContainer.publish("last", "after the cycles");
    await eventually(() => a.received.includes("after the cycles"), 5000, "delivery after the cycles");
    await command(a, "unsub last");
    await numsubBecomes("last", 0);
    assert.deepEqual(await channels(), []);
    assert.equal(backplane.channels, 0);
  });

  test("text and binary cross exact; own echoes are ignored; foreign messages follow the frame format", async () => {
    const a = await client();
    await command(a, "sub exact");
    await numsubBecomes("exact", 1);
    const bytes = new Uint8Array(256).map((_, i) => i);
    const text = "héllo → 🙂, \u0000 and \uFFFD";
    otherContainer.publish("exact", text);
    otherContainer.publish("exact", bytes);
    otherContainer.publish("exact", new Uint8Array(0));
    otherContainer.publish("exact", "");
    await eventually(() => a.received.length === 4, 5000, "four messages");
    assert.equal(a.received[0], text);
    assert.deepEqual(a.received[1], bytes);
    assert.deepEqual(a.received[2], new Uint8Array(0));
    assert.equal(a.received[3], "");

    // This process's own publish reaches its subscriber once, not again as an echo from Redis.
    const received = backplane.stats.received;
    const published = backplane.stats.published;
    a.received.length = 0;
    await command(a, "pub exact mine");
    await eventually(() => backplane.stats.published === published + 1, 5000, "the publish to be acknowledged");
    await sleep(100);
    assert.deepEqual(a.received, [], "the sender gets nothing, not even its echo");
    assert.equal(backplane.stats.received, received, "the echo was not counted as received");

    // Something outside plinth publishing on the channel: a plain message is ignored and counted…
    const malformed = backplane.stats.malformed;
    await query.publish(PREFIX + "exact", "plain text from redis-cli");
    await eventually(() => backplane.stats.malformed === malformed + 1, 5000, "the malformed count");
    // …a frame with the zero origin is delivered.
    const frame = new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode("from outside")]);
    await query.publish(PREFIX + "exact", Buffer.from(frame));
    await eventually(() => a.received.includes("from outside"), 5000, "the outside frame");
    assert.deepEqual(a.received, ["from outside"]);
    await command(a, "unsub exact");
  });
});
