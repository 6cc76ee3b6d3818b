import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, CloseReason, createContainer } from "../../mod.ts";
import type { EndpointConfig, EndpointMap, Session } from "../../mod.ts";
import { connectSession, containerWith, deferred, isPending, RecordingLogger, tick, within } from "./memory_socket.ts";

/** An endpoint whose callbacks log what they see into `events`. */
function recordingEndpoint(events: string[], extra: Partial<EndpointMap<string>> = {}): EndpointMap<string> {
  return {
    onOpen: (session) => {
      events.push("open");
      return `obj:${session.id}`;
    },
    onText: (obj, text) => void events.push(`text ${text} (${obj.slice(0, 4)})`),
    onBinary: (obj, data) => void events.push(`binary ${[...data].join(",")} (${obj.slice(0, 4)})`),
    onClose: (obj, _session, reason) => void events.push(`close ${reason.code} ${reason.reasonPhrase} (${String(obj).slice(0, 4)})`),
    ...extra,
  };
}

describe("session lifecycle: opening", () => {
  test("onOpen runs once, with the session and the endpoint config", async () => {
    const calls: [Session, EndpointConfig][] = [];
    const { container } = containerWith({ onOpen: (s, c) => void calls.push([s, c]) });
    const { session, upgrade } = await connectSession(container);
    session.opened(); // a second call is ignored
    assert.equal(calls.length, 1);
    assert.equal(calls[0]![0], session);
    assert.equal(calls[0]![1], upgrade.registration.config);
    assert.equal(session.isOpen, true);
    session.close();
    await within(session.closed);
  });

  test("the value of onOpen is the session object every other callback gets", async () => {
    const token = { token: true };
    const seen: unknown[] = [];
    const { container } = containerWith<typeof token>({
      onOpen: () => token,
      onText: (obj) => void seen.push(obj),
      onBinary: (obj) => void seen.push(obj),
      onError: (obj) => void seen.push(obj),
      onClose: (obj) => void seen.push(obj),
    });
    const { session } = await connectSession(container);
    session.receiveText("t");
    session.receiveBinary(new Uint8Array([1]));
    assert.deepEqual(seen, [token, token]);
    session.receiveClose(1000, "");
    await within(session.closed);
    assert.equal(seen.length, 3);
    for (const obj of seen) assert.equal(obj, token);
  });

  test("an async onOpen's value (awaited) is the session object", async () => {
    const seen: unknown[] = [];
    const { container } = containerWith({
      onOpen: async () => "resolved",
      onText: (obj) => void seen.push(obj),
    });
    const { session } = await connectSession(container);
    await tick();
    session.receiveText("x");
    assert.deepEqual(seen, ["resolved"]);
    session.close();
    await within(session.closed);
  });

  test("messages that arrive while an async onOpen runs are delivered after it, in order", async () => {
    const events: string[] = [];
    const gate = deferred<string>();
    const { container } = containerWith<string>({
      ...recordingEndpoint(events),
      onOpen: async () => {
        events.push("open start");
        const value = await gate.promise;
        events.push("open end");
        return value;
      },
    });
    const { session } = await connectSession(container);
    session.receiveText("a");
    session.receiveBinary(new Uint8Array([1, 2]));
    session.receiveText("b");
    await tick();
    assert.deepEqual(events, ["open start"]);
    gate.resolve("obj!");
    await tick();
    session.receiveText("c");
    assert.deepEqual(events, ["open start", "open end", "text a (obj!)", "binary 1,2 (obj!)", "text b (obj!)", "text c (obj!)"]);
    session.close();
    await within(session.closed);
  });

  test("the session surface: id, request, URI, path parameters, subprotocol, user properties", async () => {
    const container = createContainer();
    addEndpoint(container, "/rooms/{room}", {
      subprotocols: ["v1"],
      configure: (b) => void b.userProperty("role", "guest").userProperty("n", 1),
    });
    const { session } = await connectSession(container, {
      path: "/rooms/caf%C3%A9?q=1",
      headers: { "sec-websocket-protocol": "v1", "x-h": "h" },
    });
    assert.equal(typeof session.id, "string");
    assert.ok(session.id.length > 0);
    assert.equal(session.request.headers.get("x-h"), "h");
    assert.ok(session.requestURI instanceof URL);
    assert.equal(session.requestURI.pathname, "/rooms/caf%C3%A9");
    assert.equal(session.requestURI.searchParams.get("q"), "1");
    assert.deepEqual(session.pathParameters, { room: "café" });
    assert.equal(Object.getPrototypeOf(session.pathParameters), Object.prototype);
    assert.equal(session.negotiatedSubprotocol, "v1");
    assert.deepEqual([...session.userProperties], [["role", "guest"], ["n", 1]]);
    session.close();
    await within(session.closed);
  });

  test("userProperties are a per-session copy of the config's", async () => {
    const { container } = containerWith({ configure: (b) => void b.userProperty("k", "v") });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.userProperties.set("k", "changed");
    a.session.userProperties.set("extra", 1);
    assert.equal(b.session.userProperties.get("k"), "v");
    assert.equal(b.session.userProperties.has("extra"), false);
    assert.equal(a.upgrade.registration.config.userProperties.get("k"), "v");
    const c = await connectSession(container);
    assert.deepEqual([...c.session.userProperties], [["k", "v"]]);
    for (const { session } of [a, b, c]) session.close();
    await within(Promise.all([a, b, c].map(({ session }) => session.closed)));
  });

  test("session ids are unique", async () => {
    const { container } = containerWith({});
    const ids = new Set<string>();
    const sessions: Session[] = [];
    for (let i = 0; i < 200; i++) {
      const { session } = await connectSession(container, { open: false });
      ids.add(session.id);
      sessions.push(session);
    }
    assert.equal(ids.size, 200);
    const other = containerWith({}).container;
    assert.equal(ids.has((await connectSession(other, { open: false })).session.id), false);
  });
});

describe("session lifecycle: openSessions", () => {
  test("holds the open sessions of the same endpoint, and drops a session once it closes", async () => {
    const container = createContainer();
    addEndpoint(container, "/a", {});
    addEndpoint(container, "/b", {});
    const a1 = await connectSession(container, { path: "/a" });
    const a2 = await connectSession(container, { path: "/a" });
    const b1 = await connectSession(container, { path: "/b" });
    const pending = await connectSession(container, { path: "/a", open: false });
    assert.deepEqual([...a1.session.openSessions], [a1.session, a2.session]);
    assert.equal(a1.session.openSessions, a2.session.openSessions);
    assert.deepEqual([...b1.session.openSessions], [b1.session]);
    assert.equal(pending.session.openSessions.has(pending.session), false);
    a1.session.close();
    // Removed as soon as it starts closing, before the peer answers.
    assert.deepEqual([...a2.session.openSessions], [a2.session]);
    await within(a1.session.closed);
    b1.session.receiveClose(1001, "");
    assert.equal(b1.session.openSessions.size, 0);
    a2.session.close();
    await within(a2.session.closed);
    assert.equal(a2.session.openSessions.size, 0);
  });
});

describe("session lifecycle: closing", () => {
  test("a peer close: onClose once, with the peer's code and reason; later closes are ignored", async () => {
    const events: string[] = [];
    const { container } = containerWith(recordingEndpoint(events));
    const { session, socket } = await connectSession(container);
    session.receiveClose(4000, "bye now");
    session.receiveClose(1000, "again");
    session.close();
    const reason = await within(session.closed);
    assert.ok(reason instanceof CloseReason);
    assert.deepEqual([reason.code, reason.reasonPhrase], [4000, "bye now"]);
    assert.deepEqual(events, ["open", "close 4000 bye now (obj:)"]);
    assert.equal(session.isOpen, false);
    assert.deepEqual(socket.closes, []);
  });

  test("a server close: onClose once with the server's code, after the peer answers", async () => {
    const events: string[] = [];
    const { container } = containerWith(recordingEndpoint(events));
    const { session, socket } = await connectSession(container, { echoClose: false });
    session.close(new CloseReason(4001, "server says"));
    assert.equal(session.isOpen, false);
    assert.deepEqual(socket.closes, [{ code: 4001, reason: "server says" }]);
    assert.ok(await isPending(session.closed), "closed settles only once the peer answered");
    assert.deepEqual(events, ["open"]);
    session.receiveClose(1000, "peer's own code");
    const reason = await within(session.closed);
    assert.deepEqual([reason.code, reason.reasonPhrase], [4001, "server says"]);
    assert.deepEqual(events, ["open", "close 4001 server says (obj:)"]);
  });

  test("a dropped connection reports 1006; a code outside 1000–4999 becomes 1006", async () => {
    for (const code of [1006, 0, 999, 5000]) {
      const events: string[] = [];
      const { container } = containerWith(recordingEndpoint(events));
      const { session } = await connectSession(container);
      session.receiveClose(code, "");
      assert.equal((await within(session.closed)).code, 1006, `code ${code}`);
      assert.deepEqual(events, ["open", "close 1006  (obj:)"]);
    }
  });

  test("terminate(): the socket is dropped and onClose gets 1006", async () => {
    const events: string[] = [];
    const { container } = containerWith(recordingEndpoint(events));
    const { session, socket } = await connectSession(container, { echoClose: false });
    session.terminate();
    session.terminate();
    assert.equal(socket.terminated, 1);
    assert.equal((await within(session.closed)).code, 1006);
    assert.deepEqual(events, ["open", "close 1006  (obj:)"]);
  });

  test("close before onOpen settles: onClose runs after onOpen settles, with the session object", async () => {
    const events: string[] = [];
    const gate = deferred<string>();
    const { container } = containerWith<string>({
      ...recordingEndpoint(events),
      onOpen: async () => {
        const value = await gate.promise;
        events.push("open end");
        return value;
      },
    });
    const { session } = await connectSession(container);
    session.receiveText("before the close");
    session.receiveClose(1001, "leaving");
    session.receiveClose(1006, "a second report is ignored");
    assert.equal(session.isOpen, false);
    await tick();
    assert.deepEqual(events, []);
    assert.ok(await isPending(session.closed));
    gate.resolve("late");
    const reason = await within(session.closed);
    assert.deepEqual([reason.code, reason.reasonPhrase], [1001, "leaving"]);
    assert.deepEqual(events, ["open end", "text before the close (late)", "close 1001 leaving (late)"]);
  });

  test("a server close from inside an async onOpen: onClose once, after onOpen, with the server's code", async () => {
    const events: string[] = [];
    const gate = deferred<void>();
    const { container } = containerWith<string>({
      ...recordingEndpoint(events),
      onOpen: async (session) => {
        session.close(new CloseReason(4002, "no"));
        await gate.promise;
        events.push("open end");
        return "obj";
      },
    });
    const { session, socket } = await connectSession(container);
    session.receiveText("dropped: the server is closing");
    await tick(); // the peer's echo arrives while onOpen still runs
    assert.deepEqual(socket.closes, [{ code: 4002, reason: "no" }]);
    assert.deepEqual(events, []);
    gate.resolve();
    assert.equal((await within(session.closed)).code, 4002);
    assert.deepEqual(events, ["open end", "close 4002 no (obj)"]);
  });

  test("a server close while an async onOpen runs drops the queued messages", async () => {
    const events: string[] = [];
    const gate = deferred<string>();
    const { container } = containerWith<string>({ ...recordingEndpoint(events), onOpen: () => gate.promise });
    const { session, socket } = await connectSession(container);
    session.receiveText("queued");
    session.close(new CloseReason(4003, "server first"));
    await tick();
    gate.resolve("obj");
    assert.equal((await within(session.closed)).code, 4003);
    assert.deepEqual(socket.closes, [{ code: 4003, reason: "server first" }]);
    assert.deepEqual(events, ["close 4003 server first (obj)"]);
  });

  test("messages after the session started closing are not delivered", async () => {
    const events: string[] = [];
    const { container } = containerWith(recordingEndpoint(events));
    const { session } = await connectSession(container, { echoClose: false });
    session.close();
    session.receiveText("late");
    session.receiveBinary(new Uint8Array([9]));
    session.receiveClose(1000, "");
    await within(session.closed);
    assert.deepEqual(events, ["open", "close 1000  (obj:)"]);
  });

  test("closed settles after an async onClose has finished", async () => {
    const gate = deferred<void>();
    let finished = false;
    const { container } = containerWith({
      onClose: async () => {
        await gate.promise;
        finished = true;
      },
    });
    const { session } = await connectSession(container);
    session.receiveClose(1000, "");
    assert.ok(await isPending(session.closed));
    gate.resolve();
    await within(session.closed);
    assert.equal(finished, true);
  });

  test("a connection that closes before opened(): no onOpen, no onClose, closed settles", async () => {
    const events: string[] = [];
    const { container } = containerWith(recordingEndpoint(events));
    const { session } = await connectSession(container, { open: false });
    assert.equal(session.isOpen, false);
    session.receiveClose(1001, "");
    session.opened();
    assert.equal((await within(session.closed)).code, 1001);
    assert.deepEqual(events, []);
  });

  test("binary data reaches onBinary as the same Uint8Array, the callback's to keep", async () => {
    const kept: Uint8Array[] = [];
    const { container } = containerWith({ onBinary: (_o, data) => void kept.push(data) });
    const { session } = await connectSession(container);
    const data = new Uint8Array([1, 2, 3]);
    session.receiveBinary(data);
    session.receiveBinary(new Uint8Array(0));
    assert.equal(kept[0], data);
    assert.ok(kept[0] instanceof Uint8Array);
    assert.deepEqual([...kept[0]!], [1, 2, 3]);
    assert.equal(kept[1]!.byteLength, 0);
    session.close();
    await within(session.closed);
  });

  test("an endpoint with no callbacks opens, receives and closes quietly", async () => {
    const logger = new RecordingLogger();
    const { container } = containerWith({}, { logger });
    const { session, socket } = await connectSession(container);
    session.receiveText("x");
    session.receiveBinary(new Uint8Array([1]));
    session.close();
    assert.equal((await within(session.closed)).code, 1000);
    assert.deepEqual(socket.closes, [{ code: 1000, reason: "" }]);
    assert.deepEqual(logger.calls, []);
  });
});
