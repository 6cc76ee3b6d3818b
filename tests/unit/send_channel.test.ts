import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CloseReason, onOpenStartWsConnection, startWsConnection, WebSocketSendAsync } from "../../mod.ts";
import type { EndpointMap, Outgoing, Payload, RemoteEndpoint, SendChannel, SendResult, Session } from "../../mod.ts";
import { SEND_HIGH_WATER_MARK } from "../../src/session.ts";
import { connectSession, containerWith, isPending, RecordingLogger, sleep, tick, within } from "./memory_socket.ts";
import type { ConnectOptions } from "./memory_socket.ts";

const CONGESTED = SEND_HIGH_WATER_MARK + 1;

async function open(endpoint: EndpointMap = {}, options: ConnectOptions = {}) {
  const { container, logger } = containerWith(endpoint);
  return { ...(await connectSession(container, options)), logger };
}

/** A response target recording every result it gets. */
function recorder(): { results: SendResult[]; respond: (result: SendResult) => void } {
  const results: SendResult[] = [];
  return { results, respond: (result) => void results.push(result) };
}

/** Lets the channel's pending sends (Blobs, self-senders) finish. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await tick();
};

describe("startWsConnection: sending", () => {
  test("sends in put order, text and binary; each response target gets exactly one result", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session);
    const fn = recorder();
    const putResults: SendResult[] = [];
    const target = { put: (r: SendResult) => void putResults.push(r) };
    assert.equal(await channel.put("a"), true);
    assert.equal(await channel.put([new Uint8Array([1, 2]), fn.respond]), true);
    assert.equal(channel.offer(["c", target]), true);
    assert.equal(await channel.put(["d", null]), true);
    assert.equal(await channel.put(["e", undefined]), true);
    await settle();
    assert.equal(socket.sent.length, 5);
    assert.equal(socket.sent[0], "a");
    assert.deepEqual([...(socket.sent[1] as Uint8Array)], [1, 2]);
    assert.deepEqual(socket.sent.slice(2), ["c", "d", "e"]);
    assert.deepEqual(fn.results, ["success"]);
    assert.deepEqual(putResults, ["success"]);
    assert.equal(channel.closed, false);
    session.close();
    await within(session.closed);
    assert.deepEqual(fn.results, ["success"]);
  });

  test("every payload type, in order, behind Blobs and self-senders that finish later", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session, { sendBufferSize: 20 });
    const r = recorder();
    const self = {
      async [WebSocketSendAsync](remote: RemoteEndpoint): Promise<SendResult> {
        await sleep(5);
        return remote.sendText("self");
      },
    };
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
    const items: Payload[] = [
      new Blob([new Uint8Array([7, 7])]),
      "text",
      self,
      new Uint8Array([3]).buffer,
      new DataView(backing.buffer, 2, 2),
      backing.subarray(4),
      42 as unknown as Payload,
      "last",
    ];
    for (const item of items) assert.equal(channel.offer([item, r.respond]), true);
    await sleep(30);
    const frames = socket.sent.map((f) => (typeof f === "string" ? f : [...f].join(",")));
    assert.deepEqual(frames, ["7,7", "text", "self", "3", "2,3", "4,5", "last"]);
    assert.equal(r.results.length, items.length);
    assert.deepEqual(r.results.filter((x) => x === "success").length, 7);
    assert.ok(r.results[6] instanceof TypeError, "a number gets a TypeError, not a rejection");
    session.close();
    await within(session.closed);
  });

  test("a response target that throws is logged and the channel goes on", async () => {
    const { session, socket, logger } = await open();
    const channel = startWsConnection(session);
    const boom = new Error("target");
    channel.offer(["a", () => { throw boom; }]);
    channel.offer(["b", { put: () => { throw boom; } }]);
    channel.offer("c");
    await settle();
    assert.deepEqual(socket.sent, ["a", "b", "c"]);
    assert.deepEqual(logger.calls.map((c) => c.err), [boom, boom]);
    session.close();
    await within(session.closed);
  });

  test("a send the runtime refuses reports \"closed\"; one that throws reports the error", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session);
    const r = recorder();
    socket.connected = false;
    channel.offer(["x", r.respond]);
    socket.connected = true;
    const failure = new Error("broken pipe");
    socket.sendError = failure;
    channel.offer(["y", r.respond]);
    socket.sendError = undefined;
    channel.offer(["z", r.respond]);
    await settle();
    assert.deepEqual(r.results, ["closed", failure, "success"]);
    session.close();
    await within(session.closed);
  });
});

describe("startWsConnection: a full buffer and a congested socket", () => {
  test("nothing is handed to a congested socket; offer is false once sendBufferSize messages wait", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 2 });
    assert.equal(channel.offer("a"), true);
    assert.equal(channel.offer("b"), true);
    assert.equal(channel.offer("c"), false);
    await tick();
    assert.deepEqual(socket.sent, []);
    socket.bufferedAmount = 0;
    session.drained();
    assert.deepEqual(socket.sent, ["a", "b"]);
    assert.equal(channel.offer("c"), true);
    assert.deepEqual(socket.sent, ["a", "b", "c"]);
    session.close();
    await within(session.closed);
  });

  test("the default sendBufferSize is 10", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session);
    for (let i = 0; i < 10; i++) assert.equal(channel.offer(`m${i}`), true, `offer ${i}`);
    assert.equal(channel.offer("m10"), false);
    session.close();
    await within(session.closed);
  });

  test("put waits while the buffer is full and resolves true after drained()", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 1 });
    assert.equal(await channel.put("a"), true);
    const second = channel.put("b");
    const third = channel.put("c");
    assert.ok(await isPending(second));
    assert.equal(channel.offer("x"), false, "offer never jumps waiting puts");
    session.drained(); // still congested: nothing moves
    assert.ok(await isPending(second));
    assert.deepEqual(socket.sent, []);
    socket.bufferedAmount = SEND_HIGH_WATER_MARK; // at the mark is not over it
    session.drained();
    assert.equal(await within(second), true);
    assert.equal(await within(third), true);
    await settle();
    assert.deepEqual(socket.sent, ["a", "b", "c"]);
    session.close();
    await within(session.closed);
  });

  test("with a slow client the loop stops at the high-water mark and resumes on drain", async () => {
    const { session, socket } = await open();
    socket.growOnSend = true;
    const channel = startWsConnection(session, { sendBufferSize: 100 });
    const chunk = "x".repeat(10 * 1024);
    for (let i = 0; i < 20; i++) assert.equal(channel.offer(chunk), true);
    // 7 × 10 KiB: the 7th send takes the buffer over 64 KiB, the 8th waits.
    assert.equal(socket.sent.length, 7);
    assert.ok(socket.bufferedAmount > SEND_HIGH_WATER_MARK);
    socket.bufferedAmount = 0;
    session.drained();
    assert.equal(socket.sent.length, 14);
    socket.bufferedAmount = 0;
    session.drained();
    assert.equal(socket.sent.length, 20);
    session.close();
    await within(session.closed);
  });

  test("without drain events the channel polls bufferedAmount", async () => {
    const { session, socket } = await open({}, { drainEvents: false });
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 1 });
    await channel.put("a");
    const waiting = channel.put("b");
    await sleep(10);
    assert.deepEqual(socket.sent, []);
    socket.bufferedAmount = 0;
    assert.equal(await within(waiting, 500), true);
    await settle();
    assert.deepEqual(socket.sent, ["a", "b"]);
    session.close();
    await within(session.closed);
  });

  test("sendTimeoutMs: a message waiting longer for the socket closes the session with 1008", async () => {
    const { session, socket } = await open({ sendTimeoutMs: 30 });
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session);
    const r = recorder();
    channel.offer(["stuck", r.respond]);
    await sleep(10);
    assert.deepEqual(socket.closes, []);
    const reason = await within(session.closed);
    assert.deepEqual([reason.code, reason.reasonPhrase], [1008, "Send timeout"]);
    assert.deepEqual(socket.closes, [{ code: 1008, reason: "Send timeout" }]);
    assert.deepEqual(r.results, ["closed"]);
    assert.equal(channel.closed, true);
  });

  test("sendTimeoutMs: a drain in time cancels the timeout", async () => {
    const { session, socket } = await open({ sendTimeoutMs: 30 });
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session);
    channel.offer("a");
    await sleep(10);
    socket.bufferedAmount = 0;
    session.drained();
    await sleep(50);
    assert.equal(session.isOpen, true);
    assert.deepEqual(socket.sent, ["a"]);
    session.close();
    await within(session.closed);
  });
});

describe("startWsConnection: closing", () => {
  test("close(): buffered messages are still sent, then the session closes with 1000", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 2 });
    const r = recorder();
    channel.offer(["a", r.respond]);
    channel.offer(["b", r.respond]);
    channel.close();
    assert.equal(channel.closed, true);
    assert.equal(await channel.put(["late", r.respond]), false);
    assert.equal(channel.offer("later"), false);
    assert.deepEqual(r.results, ["closed"], "a refused put's target gets \"closed\"");
    assert.deepEqual(socket.closes, []);
    socket.bufferedAmount = 0;
    session.drained();
    assert.deepEqual(socket.sent, ["a", "b"]);
    assert.deepEqual(r.results, ["closed", "success", "success"]);
    assert.deepEqual(socket.closes, [{ code: 1000, reason: "" }]);
    assert.equal((await within(session.closed)).code, 1000);
  });

  test("close() on an idle channel closes the session at once; a second close() does nothing", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session);
    channel.close();
    channel.close();
    assert.deepEqual(socket.closes, [{ code: 1000, reason: "" }]);
    await within(session.closed);
  });

  test("close() with puts still waiting sends them too, then closes", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 1 });
    await channel.put("a");
    const waiting = channel.put("b");
    channel.close();
    socket.bufferedAmount = 0;
    session.drained();
    assert.equal(await within(waiting), true);
    await settle();
    assert.deepEqual(socket.sent, ["a", "b"]);
    assert.deepEqual(socket.closes, [{ code: 1000, reason: "" }]);
    await within(session.closed);
  });

  test("close() waits for a Blob still being read", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session);
    channel.offer(new Blob(["blob"]));
    channel.offer("after");
    channel.close();
    await within(session.closed);
    assert.equal(socket.sent.length, 2);
    assert.equal(new TextDecoder().decode(socket.sent[0] as Uint8Array), "blob");
    assert.equal(socket.sent[1], "after");
  });

  test("session end: buffered targets and waiting puts get \"closed\", waiting puts false, later puts false", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 2 });
    const buffered1 = recorder();
    const buffered2 = recorder();
    const waitingTarget = recorder();
    const later = recorder();
    channel.offer(["a", buffered1.respond]);
    channel.offer(["b", { put: buffered2.respond }]);
    const waiting = channel.put(["c", waitingTarget.respond]);
    session.receiveClose(1001, "client left");
    assert.equal(await within(waiting), false);
    assert.deepEqual(buffered1.results, ["closed"]);
    assert.deepEqual(buffered2.results, ["closed"]);
    assert.deepEqual(waitingTarget.results, ["closed"]);
    assert.equal(channel.closed, true);
    assert.equal(await channel.put(["d", later.respond]), false);
    assert.equal(channel.offer(["e", later.respond]), false);
    assert.deepEqual(later.results, ["closed"]);
    await within(session.closed);
    socket.bufferedAmount = 0;
    session.drained();
    await settle();
    assert.deepEqual(socket.sent, []);
    assert.deepEqual(buffered1.results, ["closed"], "still exactly one result");
  });

  test("a Blob in flight when the session ends reports exactly one result", async () => {
    const { session } = await open();
    const channel = startWsConnection(session);
    const inflight = recorder();
    const queued = recorder();
    channel.offer([new Blob(["x".repeat(1000)]), inflight.respond]);
    channel.offer(["q", queued.respond]);
    session.receiveClose(1000, "");
    await within(session.closed);
    await settle();
    assert.deepEqual(inflight.results, ["closed"]);
    assert.deepEqual(queued.results, ["closed"]);
  });

  test("a channel started on a session that has ended is closed", async () => {
    const { session } = await open();
    session.close(new CloseReason(1000));
    const channel = startWsConnection(session);
    const r = recorder();
    assert.equal(channel.closed, true);
    assert.equal(await channel.put(["x", r.respond]), false);
    assert.deepEqual(r.results, ["closed"]);
    await within(session.closed);
  });
});

describe("startWsConnection: writable", () => {
  const streamOf = (items: Outgoing[]): ReadableStream<Outgoing> =>
    new ReadableStream<Outgoing>({
      start(controller) {
        for (const item of items) controller.enqueue(item);
        controller.close();
      },
    });

  test("pipeTo sends every chunk in order, then the session closes with 1000", async () => {
    const { session, socket } = await open();
    const channel = startWsConnection(session, { sendBufferSize: 3 });
    assert.equal(channel.writable, channel.writable, "one stream per channel");
    const items = Array.from({ length: 25 }, (_, i) => `chunk ${i}`);
    await within(streamOf(items).pipeTo(channel.writable));
    assert.deepEqual(socket.sent, items);
    assert.equal(channel.closed, true);
    assert.equal((await within(session.closed)).code, 1000);
  });

  test("pipeTo waits for a congested socket", async () => {
    const { session, socket } = await open();
    socket.bufferedAmount = CONGESTED;
    const channel = startWsConnection(session, { sendBufferSize: 2 });
    const items = Array.from({ length: 10 }, (_, i) => `m${i}`);
    const piping = streamOf(items).pipeTo(channel.writable);
    assert.ok(await isPending(piping));
    assert.deepEqual(socket.sent, []);
    socket.bufferedAmount = 0;
    session.drained();
    await within(piping);
    assert.deepEqual(socket.sent, items);
    await within(session.closed);
  });

  test("writing after the session ended errors the stream", async () => {
    const { session } = await open();
    const channel = startWsConnection(session);
    session.receiveClose(1001, "");
    await within(session.closed);
    await assert.rejects(within(streamOf(["x"]).pipeTo(channel.writable)), /closed/);
  });
});

describe("startWsConnection / onOpenStartWsConnection: arguments", () => {
  test("sendBufferSize must be an integer of at least 1", async () => {
    const { session } = await open();
    for (const bad of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(() => startWsConnection(session, { sendBufferSize: bad }), (e: unknown) => e instanceof RangeError && e.message.includes("sendBufferSize"), `${bad}`);
      assert.throws(() => onOpenStartWsConnection({ sendBufferSize: bad }), RangeError, `${bad}`);
    }
    for (const bad of ["3", null]) {
      assert.throws(() => startWsConnection(session, { sendBufferSize: bad as unknown as number }), TypeError);
      assert.throws(() => onOpenStartWsConnection({ sendBufferSize: bad as unknown as number }), TypeError);
    }
    assert.throws(() => startWsConnection(session, null as never), TypeError);
    assert.throws(() => onOpenStartWsConnection(5 as never), TypeError);
    session.close();
    await within(session.closed);
  });

  test("TypeError for something that is not a plinth session", () => {
    assert.throws(() => startWsConnection({} as Session), TypeError);
    assert.throws(() => startWsConnection(null as unknown as Session), TypeError);
  });

  test("onOpenStartWsConnection: the channel is the session object, with the given buffer size", async () => {
    let channelSeen: SendChannel | undefined;
    const { session, socket } = await open({
      onOpen: onOpenStartWsConnection({ sendBufferSize: 2 }),
      onText: (channel, text) => {
        channelSeen = channel as SendChannel;
        void (channel as SendChannel).put(text.toUpperCase());
      },
    } as EndpointMap);
    session.receiveText("hi");
    await settle();
    assert.deepEqual(socket.sent, ["HI"]);
    assert.equal(typeof channelSeen?.put, "function");
    socket.bufferedAmount = CONGESTED;
    assert.equal(channelSeen!.offer("1"), true);
    assert.equal(channelSeen!.offer("2"), true);
    assert.equal(channelSeen!.offer("3"), false);
    channelSeen!.close();
    socket.bufferedAmount = 0;
    session.drained();
    assert.equal((await within(session.closed)).code, 1000);
    assert.deepEqual(socket.sent, ["HI", "1", "2"]);
  });

  test("the default logger is not touched by a healthy channel", async () => {
    const logger = new RecordingLogger();
    const { container } = containerWith({}, { logger });
    const { session } = await connectSession(container);
    const channel = startWsConnection(session);
    channel.offer("a");
    channel.close();
    await within(session.closed);
    assert.deepEqual(logger.calls, []);
  });
});
