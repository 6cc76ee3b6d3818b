import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocketSendAsync, wsSendAsync } from "../../mod.ts";
import type { Payload, RemoteEndpoint, SendResult } from "../../mod.ts";
import { connectSession, containerWith, within } from "./memory_socket.ts";

async function open() {
  const { container } = containerWith({});
  return await connectSession(container);
}

const bytes = (frame: string | Uint8Array | undefined): number[] => {
  assert.ok(frame instanceof Uint8Array, `expected a binary frame, got ${typeof frame}`);
  return [...frame];
};

describe("wsSendAsync", () => {
  test("a string → one text frame, \"success\"", async () => {
    const { session, socket } = await open();
    assert.equal(await wsSendAsync("héllo", session.asyncRemote), "success");
    assert.deepEqual(socket.sent, ["héllo"]);
    session.close();
    await within(session.closed);
  });

  test("an ArrayBuffer → one binary frame with its bytes", async () => {
    const { session, socket } = await open();
    assert.equal(await wsSendAsync(new Uint8Array([1, 2, 3]).buffer, session.asyncRemote), "success");
    assert.deepEqual(bytes(socket.sent[0]), [1, 2, 3]);
    session.close();
    await within(session.closed);
  });

  test("views → binary frames with exactly the viewed bytes", async () => {
    const { session, socket } = await open();
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(await wsSendAsync(backing.subarray(2, 5), session.asyncRemote), "success");
    assert.equal(await wsSendAsync(new DataView(backing.buffer, 4, 3), session.asyncRemote), "success");
    assert.equal(await wsSendAsync(new Uint16Array([0x0201]), session.asyncRemote), "success");
    assert.equal(socket.sent.length, 3);
    assert.deepEqual(bytes(socket.sent[0]), [2, 3, 4]);
    assert.deepEqual(bytes(socket.sent[1]), [4, 5, 6]);
    assert.equal(bytes(socket.sent[2]).length, 2);
    session.close();
    await within(session.closed);
  });

  test("a Blob → one binary frame with its bytes, in send order with later sends", async () => {
    const { session, socket } = await open();
    const blob = wsSendAsync(new Blob([new Uint8Array([9, 8]), "A"]), session.asyncRemote);
    const after = wsSendAsync("after the blob", session.asyncRemote);
    assert.deepEqual(await Promise.all([blob, after]), ["success", "success"]);
    assert.deepEqual(bytes(socket.sent[0]), [9, 8, 65]);
    assert.equal(socket.sent[1], "after the blob");
    session.close();
    await within(session.closed);
  });

  test("a [WebSocketSendAsync] object sends itself and its result comes back", async () => {
    const { session, socket } = await open();
    const seen: RemoteEndpoint[] = [];
    const point = {
      x: 1,
      y: 2,
      [WebSocketSendAsync](remote: RemoteEndpoint): Promise<SendResult> {
        seen.push(remote);
        return remote.sendText(JSON.stringify({ x: this.x, y: this.y }));
      },
    };
    assert.equal(await wsSendAsync(point, session.asyncRemote), "success");
    assert.deepEqual(socket.sent, ['{"x":1,"y":2}']);
    assert.deepEqual(seen, [session.asyncRemote]);
    assert.equal(WebSocketSendAsync, Symbol.for("@plinth/websocket.WebSocketSendAsync"));
    session.close();
    await within(session.closed);
  });

  test("a self-sender that throws or rejects resolves with its error (never rejects)", async () => {
    const { session } = await open();
    const boom = new Error("boom");
    const throwing = { [WebSocketSendAsync]: (): Promise<SendResult> => { throw boom; } };
    const rejecting = { [WebSocketSendAsync]: (): Promise<SendResult> => Promise.reject(boom) };
    const rejectingString = { [WebSocketSendAsync]: (): Promise<SendResult> => Promise.reject("text") };
    assert.equal(await wsSendAsync(throwing, session.asyncRemote), boom);
    assert.equal(await wsSendAsync(rejecting, session.asyncRemote), boom);
    const wrapped = await wsSendAsync(rejectingString, session.asyncRemote);
    assert.ok(wrapped instanceof Error);
    assert.equal(wrapped.message, "text");
    session.close();
    await within(session.closed);
  });

  test("anything else resolves to a TypeError, never rejects, sends nothing", async () => {
    const { session, socket } = await open();
    for (const msg of [42, null, undefined, true, {}, [1, 2], Symbol("s"), { [WebSocketSendAsync]: "not a function" }]) {
      const result = await wsSendAsync(msg as unknown as Payload, session.asyncRemote);
      assert.ok(result instanceof TypeError, `${String(typeof msg)} → ${String(result)}`);
    }
    assert.deepEqual(socket.sent, []);
    session.close();
    await within(session.closed);
  });

  test("TypeError (thrown) when remote is not a RemoteEndpoint", () => {
    assert.throws(() => wsSendAsync("x", null as unknown as RemoteEndpoint), TypeError);
    assert.throws(() => wsSendAsync("x", {} as RemoteEndpoint), TypeError);
  });

  test("\"closed\" once the session has started closing, for every payload type", async () => {
    const { session, socket } = await open();
    session.close();
    const self = { [WebSocketSendAsync]: (r: RemoteEndpoint) => r.sendText("s") };
    for (const msg of ["t", new ArrayBuffer(1), new Uint8Array(1), new Blob(["b"]), self] as Payload[]) {
      assert.equal(await wsSendAsync(msg, session.asyncRemote), "closed");
    }
    await within(session.closed);
    assert.equal(await wsSendAsync("after", session.asyncRemote), "closed");
    assert.deepEqual(socket.sent, []);
  });

  test("\"closed\" when the runtime reports the connection gone; the socket's error when send throws", async () => {
    const { session, socket } = await open();
    socket.connected = false;
    assert.equal(await wsSendAsync("x", session.asyncRemote), "closed");
    socket.connected = true;
    const failure = new Error("socket exploded");
    socket.sendError = failure;
    assert.equal(await wsSendAsync("x", session.asyncRemote), failure);
    socket.sendError = "not an error";
    const wrapped = await wsSendAsync(new Uint8Array(1), session.asyncRemote);
    assert.ok(wrapped instanceof Error);
    socket.sendError = undefined;
    session.close();
    await within(session.closed);
  });
});

describe("asyncRemote", () => {
  test("sendText / sendBinary send frames; bufferedAmount is the socket's until closed", async () => {
    const { session, socket } = await open();
    assert.equal(await session.asyncRemote.sendText("a"), "success");
    assert.equal(await session.asyncRemote.sendBinary(new Uint8Array([7])), "success");
    assert.deepEqual(socket.sent[0], "a");
    assert.deepEqual(bytes(socket.sent[1]), [7]);
    socket.bufferedAmount = 1234;
    assert.equal(session.asyncRemote.bufferedAmount, 1234);
    session.close();
    await within(session.closed);
    assert.equal(session.asyncRemote.bufferedAmount, 0);
  });

  test("sendText and sendBinary throw TypeError for the wrong argument type", async () => {
    const { session } = await open();
    assert.throws(() => session.asyncRemote.sendText(5 as unknown as string), TypeError);
    assert.throws(() => session.asyncRemote.sendBinary("x" as unknown as ArrayBuffer), TypeError);
    session.close();
    await within(session.closed);
  });

  test("sends from inside onOpen go out", async () => {
    const { container } = containerWith({ onOpen: (s) => void s.asyncRemote.sendText("welcome") });
    const { session, socket } = await connectSession(container);
    assert.deepEqual(socket.sent, ["welcome"]);
    session.close();
    await within(session.closed);
  });
});
