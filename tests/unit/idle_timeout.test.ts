import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectSession, containerWith, deferred, sleep, within } from "./memory_socket.ts";

const IDLE = 50;

describe("idle timeout", () => {
  test("no message for idleTimeoutMs → close 1001 \"Idle Timeout\", onClose with it", async () => {
    const reasons: [number, string][] = [];
    const { container } = containerWith({ idleTimeoutMs: IDLE, onClose: (_o, _s, r) => void reasons.push([r.code, r.reasonPhrase]) });
    const started = Date.now();
    const { session, socket } = await connectSession(container);
    await sleep(IDLE - 20);
    assert.equal(session.isOpen, true, "not closed before the timeout");
    const reason = await within(session.closed, 1000, "idle close");
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= IDLE - 5, `closed after ${elapsed} ms`);
    assert.deepEqual(socket.closes, [{ code: 1001, reason: "Idle Timeout" }]);
    assert.deepEqual([reason.code, reason.reasonPhrase], [1001, "Idle Timeout"]);
    assert.deepEqual(reasons, [[1001, "Idle Timeout"]]);
  });

  test("incoming messages keep the session alive", async () => {
    const { container } = containerWith({ idleTimeoutMs: IDLE });
    const { session, socket } = await connectSession(container);
    for (let i = 0; i < 6; i++) {
      await sleep(IDLE / 2);
      if (i % 2 === 0) session.receiveText("ping");
      else session.receiveBinary(new Uint8Array([1]));
    }
    assert.equal(session.isOpen, true, `open after ${3 * IDLE} ms of traffic`);
    assert.deepEqual(socket.closes, []);
    assert.equal((await within(session.closed)).code, 1001);
  });

  test("outgoing messages keep the session alive too", async () => {
    const { container } = containerWith({ idleTimeoutMs: IDLE });
    const { session, socket } = await connectSession(container);
    for (let i = 0; i < 6; i++) {
      await sleep(IDLE / 2);
      assert.equal(await session.asyncRemote.sendText("tick"), "success");
    }
    assert.equal(session.isOpen, true);
    assert.equal(socket.texts.length, 6);
    assert.equal((await within(session.closed)).code, 1001);
  });

  test("the container default applies when the endpoint sets none; the endpoint's 0 disables it", async () => {
    const { container } = containerWith({}, { defaultMaxIdleTimeoutMs: IDLE });
    const a = await connectSession(container);
    assert.equal(a.session.maxIdleTimeout, IDLE);
    assert.equal((await within(a.session.closed)).code, 1001);

    const never = containerWith({ idleTimeoutMs: 0 }, { defaultMaxIdleTimeoutMs: IDLE });
    const b = await connectSession(never.container);
    assert.equal(b.session.maxIdleTimeout, 0);
    await sleep(IDLE * 2);
    assert.equal(b.session.isOpen, true);
    b.session.close();
    assert.equal((await within(b.session.closed)).code, 1000);
  });

  test("session.maxIdleTimeout: setting it starts a timer, 0 stops it", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    assert.equal(session.maxIdleTimeout, 0);
    session.maxIdleTimeout = IDLE;
    assert.equal(session.maxIdleTimeout, IDLE);
    await sleep(IDLE / 2);
    session.maxIdleTimeout = 0;
    await sleep(IDLE * 2);
    assert.equal(session.isOpen, true, "0 disables the timeout");
    session.maxIdleTimeout = IDLE;
    assert.equal((await within(session.closed)).code, 1001);
    assert.deepEqual(socket.closes, [{ code: 1001, reason: "Idle Timeout" }]);
  });

  test("session.maxIdleTimeout changes one session: the endpoint's other sessions keep its timeout", async () => {
    const { container } = containerWith({ idleTimeoutMs: IDLE });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.maxIdleTimeout = 0;
    assert.equal(b.session.maxIdleTimeout, IDLE);
    assert.equal((await within(b.session.closed)).code, 1001);
    assert.equal(a.session.isOpen, true);
    const c = await connectSession(container);
    assert.equal(c.session.maxIdleTimeout, IDLE, "a new session starts from the endpoint's value");
    assert.equal((await within(c.session.closed)).code, 1001);
    assert.equal(a.session.isOpen, true);
    a.session.close();
    assert.equal((await within(a.session.closed)).code, 1000);
  });

  test("session.maxIdleTimeout: a longer value set while running postpones the close", async () => {
    const { container } = containerWith({ idleTimeoutMs: IDLE });
    const { session } = await connectSession(container);
    session.maxIdleTimeout = IDLE * 4;
    await sleep(IDLE * 2);
    assert.equal(session.isOpen, true);
    session.maxIdleTimeout = IDLE;
    assert.equal((await within(session.closed)).code, 1001);
  });

  test("the idle timer runs while an async onOpen is still pending", async () => {
    const gate = deferred<void>();
    let closedWith: number | undefined;
    const { container } = containerWith({
      idleTimeoutMs: IDLE,
      onOpen: () => gate.promise,
      onClose: (_o, _s, reason) => void (closedWith = reason.code),
    });
    const { session, socket } = await connectSession(container);
    await sleep(IDLE * 3);
    assert.deepEqual(socket.closes, [{ code: 1001, reason: "Idle Timeout" }]);
    assert.equal(session.isOpen, false);
    assert.equal(closedWith, undefined, "onClose waits for onOpen");
    gate.resolve();
    assert.equal((await within(session.closed)).code, 1001);
    assert.equal(closedWith, 1001);
  });
});
