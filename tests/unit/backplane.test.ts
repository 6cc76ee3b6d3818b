import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createContainer } from "../../mod.ts";
import type { Backplane, BackplaneReceiver } from "../../mod.ts";
import { redisBackplane } from "../../adapters/redis.ts";
import { connectSession, containerWith, RecordingLogger, within } from "./memory_socket.ts";
import type { Connected } from "./memory_socket.ts";

const frames = (c: Connected): string[] => c.socket.sent.map((f) => (typeof f === "string" ? f : `bin:${[...f].join(",")}`));

/** Records what the container asks of its backplane. */
class RecordingBackplane implements Backplane {
  receiver: BackplaneReceiver | null = null;
  readonly calls: string[] = [];
  throwOn: string | null = null;
  attach(receiver: BackplaneReceiver): void {
    if (this.receiver !== null) throw new Error("already attached");
    this.receiver = receiver;
  }
  publish(topic: string, data: string | Uint8Array): void {
    this.calls.push(`publish ${topic} ${typeof data === "string" ? data : `bin:${[...data].join(",")}`}`);
    if (this.throwOn === "publish") throw new Error("publish broke");
  }
  subscribe(topic: string): void {
    this.calls.push(`subscribe ${topic}`);
    if (this.throwOn === "subscribe") throw new Error("subscribe broke");
  }
  unsubscribe(topic: string): void {
    this.calls.push(`unsubscribe ${topic}`);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

async function closeAll(...connections: Connected[]): Promise<void> {
  for (const { session } of connections) session.close();
  await within(Promise.all(connections.map(({ session }) => session.closed)));
}

describe("backplane in the core", () => {
  test("subscribe on the first local subscriber, unsubscribe when the last one leaves (closing included)", async () => {
    const backplane = new RecordingBackplane();
    const { container } = containerWith({}, { backplane });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.subscribe("room");
    b.session.subscribe("room");
    a.session.subscribe("room");
    assert.deepEqual(backplane.calls, ["subscribe room"]);
    a.session.unsubscribe("room");
    assert.deepEqual(backplane.calls, ["subscribe room"]);
    b.session.subscribe("other");
    await closeAll(b);
    assert.deepEqual(backplane.calls.slice(1).sort(), ["subscribe other", "unsubscribe other", "unsubscribe room"]);
    await closeAll(a);
  });

  test("publishes go out after local delivery, sender excluded only locally; publishing subscribes nothing", async () => {
    const backplane = new RecordingBackplane();
    const { container } = containerWith({}, { backplane });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.subscribe("room");
    b.session.subscribe("room");
    backplane.calls.length = 0;
    a.session.publish("room", "hi");
    container.publish("room", new Uint8Array([1, 2]));
    container.publish("empty", "nobody here");
    assert.deepEqual(frames(a), ["bin:1,2"]);
    assert.deepEqual(frames(b), ["hi", "bin:1,2"]);
    assert.deepEqual(backplane.calls, ["publish room hi", "publish room bin:1,2", "publish empty nobody here"]);
    await closeAll(a, b);
  });

  test("deliver reaches every local subscriber and never goes back out", async () => {
    const backplane = new RecordingBackplane();
    const { container } = containerWith({}, { backplane });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.subscribe("room");
    b.session.subscribe("room");
    backplane.calls.length = 0;
    backplane.receiver!.deliver("room", "from afar");
    backplane.receiver!.deliver("room", new Uint8Array([7]));
    backplane.receiver!.deliver("nobody", "x");
    assert.deepEqual(frames(a), ["from afar", "bin:7"]);
    assert.deepEqual(frames(b), ["from afar", "bin:7"]);
    assert.deepEqual(backplane.calls, []);
    assert.throws(() => backplane.receiver!.deliver("", "x"), (e: Error) => e instanceof TypeError && /topic/.test(e.message));
    assert.throws(
      () => backplane.receiver!.deliver("room", 5 as unknown as string),
      (e: Error) => e instanceof TypeError && /data must be a string or Uint8Array/.test(e.message),
    );
    await closeAll(a, b);
  });

  test("a throwing backplane is logged; local delivery and the caller are unaffected", async () => {
    const backplane = new RecordingBackplane();
    const logger = new RecordingLogger();
    const { container } = containerWith({}, { backplane, logger });
    const a = await connectSession(container);
    const b = await connectSession(container);
    backplane.throwOn = "subscribe";
    a.session.subscribe("room");
    b.session.subscribe("room");
    backplane.throwOn = "publish";
    a.session.publish("room", "still here");
    assert.deepEqual(frames(b), ["still here"]);
    assert.deepEqual(logger.calls.map((c) => c.msg), [
      'backplane.subscribe threw for topic "room"',
      'backplane.publish threw for topic "room"',
    ]);
    await closeAll(a, b);
  });

  test("createContainer checks the backplane and hands it the container's logger once", () => {
    assert.throws(
      () => createContainer({ backplane: 5 as unknown as Backplane }),
      (e: Error) => e instanceof TypeError && /options\.backplane must be a Backplane object, got number/.test(e.message),
    );
    const noPublish = { attach() {}, subscribe() {}, unsubscribe() {}, close: () => Promise.resolve() };
    assert.throws(
      () => createContainer({ backplane: noPublish as unknown as Backplane }),
      (e: Error) => e instanceof TypeError && /options\.backplane must have a publish\(\) method/.test(e.message),
    );
    const backplane = new RecordingBackplane();
    const logger = new RecordingLogger();
    createContainer({ backplane, logger });
    assert.equal(backplane.receiver!.logger, logger);
    assert.throws(() => createContainer({ backplane }), /already attached/);
  });
});

describe("redisBackplane arguments", () => {
  test("options and url are checked, naming the argument", () => {
    const type = (pattern: RegExp) => (e: Error) => e instanceof TypeError && pattern.test(e.message);
    assert.throws(() => redisBackplane(null as never), type(/redisBackplane: options must be an object, got null/));
    assert.throws(() => redisBackplane({} as never), type(/options\.url must be a string, got undefined/));
    assert.throws(() => redisBackplane({ url: "not a url" }), type(/options\.url must be a redis:\/\/ or rediss:\/\/ URL/));
    assert.throws(() => redisBackplane({ url: "http://127.0.0.1:6379" }), type(/options\.url .*protocol "http:"/));
    assert.throws(
      () => redisBackplane({ url: "redis://127.0.0.1:6379", prefix: 3 as unknown as string }),
      type(/options\.prefix must be a string, got number/),
    );
    assert.throws(
      () => redisBackplane({ url: "redis://127.0.0.1:6379", maxPendingBytes: 0 }),
      (e: Error) => e instanceof RangeError && /options\.maxPendingBytes must be an integer of at least 1/.test(e.message),
    );
    assert.throws(
      () => redisBackplane({ url: "redis://127.0.0.1:6379", maxPendingBytes: "1" as unknown as number }),
      type(/options\.maxPendingBytes must be a number/),
    );
  });

  test("a refused first connection rejects ready with the URL (no password) and logs once; nothing crashes", async () => {
    const logger = new RecordingLogger();
    // Port 1 on loopback: nothing listens there, the connection is refused at once.
    const backplane = redisBackplane({ url: "redis://user:secret@127.0.0.1:1" });
    const container = createContainer({ backplane, logger });
    assert.throws(() => createContainer({ backplane }), /already attached to a container/);
    await assert.rejects(backplane.ready, (e: Error) => {
      assert.match(e.message, /^redisBackplane: cannot connect to redis:\/\/user:\*\*\*@127\.0\.0\.1:1: .*ECONNREFUSED.*retrying/);
      assert.doesNotMatch(e.message, /secret/);
      return true;
    });
    assert.equal(backplane.connected, false);
    // Publishes while unreachable are dropped and counted, never queued; the local side still works.
    container.publish("room", "lost");
    container.publish("room", new Uint8Array([1]));
    assert.deepEqual(backplane.stats, { published: 0, received: 0, dropped: 2, malformed: 0 });
    await new Promise((resolve) => setTimeout(resolve, 400)); // a few retries
    await backplane.close();
    assert.equal(logger.calls.length, 1, logger.calls.map((c) => c.msg).join("\n"));
    assert.match(logger.calls[0]!.msg, /cannot connect to/);
  });
});
