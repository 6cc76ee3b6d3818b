import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { ServerContainer } from "../../mod.ts";
import { DEFAULT_BACKPRESSURE_LIMIT, stateOf } from "../../src/container.ts";
import { AcceptedUpgrade, acceptUpgrade } from "../../src/handshake.ts";
import { TopicTable } from "../../src/topics.ts";
import type { NativeTopics } from "../../src/topics.ts";
import { connectSession, containerWith, MemorySocket, tick, upgradeRequest, within } from "./memory_socket.ts";
import type { Connected } from "./memory_socket.ts";

const frames = (c: Connected): string[] => c.socket.sent.map((f) => (typeof f === "string" ? f : `bin:${[...f].join(",")}`));

async function closeAll(...connections: Connected[]): Promise<void> {
  for (const { session } of connections) session.close();
  await within(Promise.all(connections.map(({ session }) => session.closed)));
}

describe("topics", () => {
  test("session.publish reaches every subscriber but the sender, in publish order", async () => {
    const { container } = containerWith({});
    const [a, b, c, outsider] = await Promise.all([1, 2, 3, 4].map(() => connectSession(container)));
    for (const x of [a!, b!, c!]) x.session.subscribe("room");
    assert.deepEqual([...a!.session.topics], ["room"]);
    a!.session.publish("room", "one");
    a!.session.publish("room", new Uint8Array([1, 2]));
    a!.session.publish("room", new Uint8Array([9, 1, 2, 9]).subarray(1, 3));
    a!.session.publish("room", new Uint8Array([3]).buffer);
    b!.session.publish("room", "from b");
    assert.deepEqual(frames(a!), ["from b"]);
    assert.deepEqual(frames(b!), ["one", "bin:1,2", "bin:1,2", "bin:3"]);
    assert.deepEqual(frames(c!), ["one", "bin:1,2", "bin:1,2", "bin:3", "from b"]);
    assert.deepEqual(frames(outsider!), []);
    await closeAll(a!, b!, c!, outsider!);
  });

  test("a non-subscriber may publish; container.publish reaches every subscriber on every endpoint", async () => {
    const container = createContainer();
    addEndpoint(container, "/a", {});
    addEndpoint(container, "/b/{x}", {});
    const a = await connectSession(container, { path: "/a" });
    const b = await connectSession(container, { path: "/b/1" });
    const c = await connectSession(container, { path: "/b/2" });
    a.session.subscribe("news");
    b.session.subscribe("news");
    b.session.subscribe("sport");
    c.session.publish("news", "from c");
    container.publish("news", "extra");
    container.publish("sport", "goal");
    container.publish("nobody-listens", "x");
    assert.deepEqual(frames(a), ["from c", "extra"]);
    assert.deepEqual(frames(b), ["from c", "extra", "goal"]);
    assert.deepEqual(frames(c), []);
    await closeAll(a, b, c);
  });

  test("unsubscribe stops delivery; subscribing twice delivers once", async () => {
    const { container } = containerWith({});
    const a = await connectSession(container);
    a.session.subscribe("t");
    a.session.subscribe("t");
    container.publish("t", "1");
    a.session.unsubscribe("t");
    a.session.unsubscribe("t");
    a.session.unsubscribe("never-subscribed");
    container.publish("t", "2");
    assert.deepEqual(frames(a), ["1"]);
    assert.deepEqual([...a.session.topics], []);
    assert.equal(stateOf(container).topics.size, 0);
    await closeAll(a);
  });

  test("a session's topics are dropped when it closes, whoever closed it", async () => {
    const { container } = containerWith({});
    const a = await connectSession(container, { echoClose: false });
    const b = await connectSession(container);
    a.session.subscribe("x");
    a.session.subscribe("y");
    b.session.subscribe("y");
    a.session.close();
    assert.deepEqual([...a.session.topics], []);
    container.publish("x", "after");
    container.publish("y", "after");
    assert.deepEqual(frames(a), []);
    assert.deepEqual(frames(b), ["after"]);
    assert.equal(stateOf(container).topics.size, 1);
    b.session.receiveClose(1001, "");
    assert.equal(stateOf(container).topics.size, 0);
    a.session.subscribe("z"); // closing: ignored
    assert.equal(stateOf(container).topics.size, 0);
    a.session.receiveClose(1000, "");
    await within(Promise.all([a.session.closed, b.session.closed]));
  });

  test("subscribe / close 100,000 times leaves the topic table empty", async () => {
    const { container } = containerWith({});
    const { upgrade } = await connectSession(container, { open: false });
    const topics = stateOf(container).topics;
    let peak = 0;
    for (let i = 0; i < 100_000; i++) {
      const session = upgrade.connect(new (class {
        bufferedAmount = 0;
        send() {
          return 1;
        }
        close() {}
        terminate() {}
      })(), true);
      session.opened();
      session.subscribe(`topic-${i % 1000}`);
      session.subscribe("all");
      peak = Math.max(peak, topics.size);
      if (i % 2 === 0) session.close();
      else session.receiveClose(1001, "");
      session.receiveClose(1000, "");
    }
    assert.equal(peak, 2);
    assert.equal(topics.size, 0);
    assert.equal(upgrade.registration.openSessions.size, 0);
  });

  test("TypeError for an empty or non-string topic, everywhere", async () => {
    const { container } = containerWith({});
    const a = await connectSession(container);
    for (const bad of ["", 5, null, undefined, {}]) {
      const topic = bad as unknown as string;
      assert.throws(() => a.session.subscribe(topic), TypeError, `subscribe ${String(bad)}`);
      assert.throws(() => a.session.unsubscribe(topic), TypeError, `unsubscribe ${String(bad)}`);
      assert.throws(() => a.session.publish(topic, "x"), TypeError, `publish ${String(bad)}`);
      assert.throws(() => container.publish(topic, "x"), TypeError, `container.publish ${String(bad)}`);
    }
    assert.equal(stateOf(container).topics.size, 0);
    await closeAll(a);
  });

  test("TypeError for a payload that is not text or binary data", async () => {
    const { container } = containerWith({});
    const a = await connectSession(container);
    a.session.subscribe("t");
    for (const bad of [5, null, {}, new Blob(["x"])]) {
      assert.throws(() => container.publish("t", bad as unknown as string), TypeError);
    }
    assert.deepEqual(frames(a), []);
    await closeAll(a);
  });

  test("a subscriber over backpressureLimit is closed with 1008, not skipped; the others still get it", async () => {
    const { container } = containerWith({ backpressureLimit: 100 });
    const slow = await connectSession(container);
    const fast = await connectSession(container);
    const atLimit = await connectSession(container);
    for (const x of [slow, fast, atLimit]) x.session.subscribe("feed");
    slow.socket.bufferedAmount = 101;
    atLimit.socket.bufferedAmount = 100;
    container.publish("feed", "m1");
    assert.deepEqual(slow.socket.closes, [{ code: 1008, reason: "Backpressure limit exceeded" }]);
    assert.deepEqual(frames(slow), []);
    assert.deepEqual(frames(fast), ["m1"]);
    assert.deepEqual(frames(atLimit), ["m1"], "the limit is inclusive");
    assert.deepEqual(atLimit.socket.closes, []);
    container.publish("feed", "m2");
    assert.deepEqual(frames(fast), ["m1", "m2"]);
    assert.equal((await within(slow.session.closed)).code, 1008);
    await closeAll(fast, atLimit);
  });

  test("the default backpressureLimit is 1 MiB", async () => {
    const { container } = containerWith({});
    const a = await connectSession(container);
    a.session.subscribe("t");
    a.socket.bufferedAmount = DEFAULT_BACKPRESSURE_LIMIT;
    container.publish("t", "ok");
    assert.deepEqual(a.socket.closes, []);
    a.socket.bufferedAmount = DEFAULT_BACKPRESSURE_LIMIT + 1;
    container.publish("t", "too much");
    assert.equal(a.socket.lastClose?.code, 1008);
    assert.deepEqual(frames(a), ["ok"]);
    await within(a.session.closed);
  });

  test("subscribing works from onOpen, and publishing during onOpen reaches it", async () => {
    const { container } = containerWith({ onOpen: (s) => s.subscribe("hello") });
    const a = await connectSession(container);
    await tick();
    container.publish("hello", "hi");
    assert.deepEqual(frames(a), ["hi"]);
    await closeAll(a);
  });
});

describe("TopicTable", () => {
  test("text published to several subscribers that take encoded text is encoded once for all", () => {
    const table = new TopicTable();
    const seen: (Uint8Array | null)[] = [];
    const encoder = new TextEncoder();
    const subscriber = (takesEncodedText: boolean) => ({
      nativeTopics: null,
      textEncoder: takesEncodedText ? (text: string) => encoder.encode(text) : null,
      deliverPublished: (_d: string | Uint8Array, utf8: Uint8Array | null) => void seen.push(utf8),
      checkBackpressure: () => {},
    });
    const a = subscriber(true);
    const b = subscriber(true);
    table.subscribe("t", a);
    table.publish("t", "só", null);
    assert.deepEqual(seen, [null], "one subscriber: nothing to share, no encoding");
    table.subscribe("t", b);
    table.subscribe("t", b); // twice: still counted once
    seen.length = 0;
    table.publish("t", "só", null);
    assert.equal(seen.length, 2);
    assert.ok(seen[0] !== null && seen[0] === seen[1], "the same bytes go to both");
    assert.deepEqual([...seen[0]!], [...new TextEncoder().encode("só")]);
    seen.length = 0;
    table.publish("t", new Uint8Array([1]), null);
    assert.deepEqual(seen, [null, null], "binary is never re-encoded");
    table.unsubscribe("t", b);
    seen.length = 0;
    table.publish("t", "x", null);
    assert.deepEqual(seen, [null]);
  });

  test("forgets a topic once its last subscriber leaves", () => {
    const table = new TopicTable();
    const got: string[] = [];
    // Subscribers without native topics: the core's loop reaches them.
    const subscriber = (name: string) => ({
      nativeTopics: null,
      deliverPublished: (d: string | Uint8Array, _utf8: Uint8Array | null) => void got.push(`${name}:${String(d)}`),
      checkBackpressure: () => {},
    });
    const s1 = subscriber("1");
    const s2 = subscriber("2");
    table.subscribe("t", s1);
    table.subscribe("t", s2);
    table.subscribe("u", s1);
    assert.equal(table.size, 2);
    table.publish("t", "a", s1);
    table.publish("t", "b", null);
    assert.deepEqual(got, ["2:a", "1:b", "2:b"]);
    table.unsubscribe("t", s1);
    table.unsubscribe("t", s2);
    table.unsubscribe("t", s2);
    table.unsubscribe("nope", s2);
    assert.equal(table.size, 1);
    table.unsubscribe("u", s1);
    assert.equal(table.size, 0);
  });
});

describe("topics on a runtime with native publish (a fake of Bun's)", () => {
  /** A runtime hub: per-socket subscribe/unsubscribe/publish, publish excluding the sender, -1 on backpressure. */
  class Hub {
    readonly members = new Map<string, Set<MemorySocket>>();
    deliver(topic: string, data: string | Uint8Array, except: MemorySocket | null): number {
      let status = 1;
      for (const socket of this.members.get(topic) ?? []) {
        if (socket === except) continue;
        socket.send(data);
        if (socket.bufferedAmount > 0) status = -1;
      }
      return status;
    }
    attach(socket: MemorySocket): NativeTopics {
      return {
        subscribe: (topic) => {
          let set = this.members.get(topic);
          if (set === undefined) this.members.set(topic, (set = new Set()));
          set.add(socket);
        },
        unsubscribe: (topic) => {
          this.members.get(topic)?.delete(socket);
        },
        publish: (topic, data) => this.deliver(topic, data, socket),
      };
    }
  }

  async function connectNative(container: ServerContainer, hub: Hub): Promise<Connected> {
    const upgrade = await acceptUpgrade(stateOf(container), upgradeRequest("/path"));
    assert.ok(upgrade instanceof AcceptedUpgrade);
    const socket = new MemorySocket();
    socket.nativeTopics = hub.attach(socket);
    const session = upgrade.connect(socket, true);
    socket.peer = session;
    session.opened();
    return { session, socket, upgrade };
  }

  test("native and looped subscribers both get session.publish and container.publish, sender excluded", async () => {
    const hub = new Hub();
    const { container } = containerWith({});
    stateOf(container).topics.addNativePublisher({ publish: (topic, data) => hub.deliver(topic, data, null) });
    const n1 = await connectNative(container, hub);
    const n2 = await connectNative(container, hub);
    const looped = await connectSession(container);
    for (const x of [n1, n2, looped]) x.session.subscribe("t");
    assert.deepEqual([...(hub.members.get("t") ?? [])], [n1.socket, n2.socket]);
    n1.session.publish("t", "from n1");
    looped.session.publish("t", "from looped");
    container.publish("t", "from container");
    assert.deepEqual(frames(n1), ["from looped", "from container"]);
    assert.deepEqual(frames(n2), ["from n1", "from looped", "from container"]);
    assert.deepEqual(frames(looped), ["from n1", "from container"]);
    n2.session.unsubscribe("t");
    assert.deepEqual([...(hub.members.get("t") ?? [])], [n1.socket]);
    n1.session.close();
    assert.equal(hub.members.get("t")?.size, 0, "closing drops the native subscription");
    await within(n1.session.closed);
    looped.session.close();
    await within(looped.session.closed);
    assert.equal(stateOf(container).topics.size, 0);
    n2.session.close();
    await within(n2.session.closed);
  });

  test("backpressure reported by the runtime: subscribers over the limit are closed with 1008 after the burst", async () => {
    const hub = new Hub();
    const { container } = containerWith({ backpressureLimit: 100 });
    stateOf(container).topics.addNativePublisher({ publish: (topic, data) => hub.deliver(topic, data, null) });
    const slow = await connectNative(container, hub);
    const busy = await connectNative(container, hub);
    const fast = await connectNative(container, hub);
    for (const x of [slow, busy, fast]) x.session.subscribe("feed");
    slow.socket.bufferedAmount = 101;
    busy.socket.bufferedAmount = 100;
    container.publish("feed", "m1");
    container.publish("feed", "m2");
    assert.deepEqual(slow.socket.closes, [], "checked once the burst is over");
    await tick();
    assert.deepEqual(slow.socket.closes, [{ code: 1008, reason: "Backpressure limit exceeded" }]);
    assert.deepEqual(busy.socket.closes, [], "at the limit is not over it");
    assert.deepEqual(fast.socket.closes, []);
    assert.equal((await within(slow.session.closed)).code, 1008);
    for (const x of [busy, fast]) x.session.close();
    await within(Promise.all([busy.session.closed, fast.session.closed]));
  });
});
