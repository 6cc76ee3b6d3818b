import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { EndpointMap, Session } from "../../mod.ts";
import { connectSession, containerWith, deferred, tick, within } from "./memory_socket.ts";

const SECRET = "secret database password";

/** An endpoint that records onError and onClose calls; `extra` supplies the failing callback. */
function failing(extra: EndpointMap<string>) {
  const errors: { obj: unknown; session: Session; error: unknown }[] = [];
  const closes: { obj: unknown; code: number; phrase: string }[] = [];
  const endpoint: EndpointMap<string> = {
    onOpen: () => "obj",
    onError: (obj, session, error) => void errors.push({ obj, session, error }),
    onClose: (obj, _s, reason) => void closes.push({ obj, code: reason.code, phrase: reason.reasonPhrase }),
    ...extra,
  };
  return { endpoint, errors, closes };
}

describe("callback errors: a failing onText / onBinary", () => {
  const boom = new Error(SECRET);
  const cases: [string, EndpointMap<string>, (session: Session & { receiveText(t: string): void; receiveBinary(d: Uint8Array): void }) => void][] = [
    ["onText throws", { onText: () => { throw boom; } }, (s) => s.receiveText("x")],
    ["onText rejects", { onText: async () => { throw boom; } }, (s) => s.receiveText("x")],
    ["onBinary throws", { onBinary: () => { throw boom; } }, (s) => s.receiveBinary(new Uint8Array([1]))],
    ["onBinary rejects", { onBinary: () => Promise.reject(boom) }, (s) => s.receiveBinary(new Uint8Array([1]))],
  ];
  for (const [name, extra, trigger] of cases) {
    test(`${name}: onError gets it, then close 1011 with a generic reason; onClose once`, async () => {
      const { endpoint, errors, closes } = failing(extra);
      const { container, logger } = containerWith(endpoint);
      const { session, socket } = await connectSession(container);
      trigger(session);
      await tick();
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.error, boom);
      assert.equal(errors[0]!.obj, "obj");
      assert.equal(errors[0]!.session, session);
      assert.deepEqual(socket.closes, [{ code: 1011, reason: "Internal Error" }]);
      assert.doesNotMatch(socket.closes[0]!.reason, /secret/);
      const reason = await within(session.closed);
      assert.equal(reason.code, 1011);
      assert.deepEqual(closes, [{ obj: "obj", code: 1011, phrase: "Internal Error" }]);
      assert.deepEqual(logger.calls, []);
    });
  }

  test("onError is called before the close", async () => {
    const order: string[] = [];
    const { container } = containerWith({
      onText: () => { throw new Error("x"); },
      onError: (_o, session) => void order.push(`onError isOpen=${session.isOpen}`),
    });
    const { session, socket } = await connectSession(container);
    const close = socket.close.bind(socket);
    socket.close = (code, reason) => {
      order.push(`close ${code}`);
      close(code, reason);
    };
    session.receiveText("x");
    assert.deepEqual(order, ["onError isOpen=true", "close 1011"]);
    await within(session.closed);
  });

  test("a thrown non-Error value is passed to onError as is", async () => {
    const { endpoint, errors } = failing({ onText: () => { throw "a string"; } });
    const { container } = containerWith(endpoint);
    const { session } = await connectSession(container);
    session.receiveText("x");
    assert.equal(errors[0]!.error, "a string");
    await within(session.closed);
  });

  test("later messages are not delivered once a callback failed", async () => {
    const texts: string[] = [];
    const { container } = containerWith({
      onText: (_o, text) => {
        texts.push(text);
        if (text === "bad") throw new Error("bad");
      },
      onError: () => {},
    });
    const { session } = await connectSession(container, { echoClose: false });
    session.receiveText("ok");
    session.receiveText("bad");
    session.receiveText("after");
    assert.deepEqual(texts, ["ok", "bad"]);
    session.receiveClose(1011, "");
    await within(session.closed);
  });
});

describe("callback errors: a failing onOpen", () => {
  const boom = new Error(SECRET);
  const cases: [string, EndpointMap<string>["onOpen"]][] = [
    ["throws", () => { throw boom; }],
    ["rejects", async () => { throw boom; }],
  ];
  for (const [name, onOpen] of cases) {
    test(`onOpen ${name}: onError with session object undefined, close 1011, onClose once`, async () => {
      const { endpoint, errors, closes } = failing({ onOpen });
      const { container, logger } = containerWith(endpoint);
      const { session, socket } = await connectSession(container);
      await tick();
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.obj, undefined);
      assert.equal(errors[0]!.error, boom);
      assert.equal(errors[0]!.session, session);
      assert.deepEqual(socket.closes, [{ code: 1011, reason: "Internal Error" }]);
      assert.equal((await within(session.closed)).code, 1011);
      assert.deepEqual(closes, [{ obj: undefined, code: 1011, phrase: "Internal Error" }]);
      assert.deepEqual(logger.calls, []);
      assert.equal(session.openSessions.has(session), false);
    });
  }

  test("onOpen rejects after the peer closed: onError, then onClose once with the peer's code", async () => {
    const gate = deferred<string>();
    const { endpoint, errors, closes } = failing({ onOpen: () => gate.promise });
    const { container } = containerWith(endpoint);
    const { session, socket } = await connectSession(container);
    session.receiveClose(1001, "gone");
    gate.reject(new Error("late"));
    assert.equal((await within(session.closed)).code, 1001);
    assert.equal(errors.length, 1);
    assert.deepEqual(closes, [{ obj: undefined, code: 1001, phrase: "gone" }]);
    assert.deepEqual(socket.closes, []);
  });

  test("messages queued during a failing async onOpen are dropped", async () => {
    const texts: string[] = [];
    const gate = deferred<string>();
    const { endpoint } = failing({ onOpen: () => gate.promise, onText: (_o, t) => void texts.push(t) });
    const { container } = containerWith(endpoint);
    const { session } = await connectSession(container);
    session.receiveText("queued");
    gate.reject(new Error("no"));
    await within(session.closed);
    assert.deepEqual(texts, []);
  });
});

describe("callback errors: onError, onClose and no onError go to the container logger", () => {
  test("without onError, the error goes to the logger and the session still closes 1011", async () => {
    const boom = new Error("x");
    const { container, logger } = containerWith({ onText: () => { throw boom; } });
    const { session, socket } = await connectSession(container);
    session.receiveText("x");
    assert.equal(logger.calls.length, 1);
    assert.equal(logger.calls[0]!.err, boom);
    assert.equal(socket.lastClose?.code, 1011);
    await within(session.closed);
  });

  for (const kind of ["throws", "rejects"] as const) {
    test(`onError ${kind}: logged, not fatal; the session closes 1011 and onClose runs`, async () => {
      const own = new Error("onError's own");
      let closed = 0;
      const { container, logger } = containerWith({
        onText: () => { throw new Error("first"); },
        onError: kind === "throws" ? () => { throw own; } : () => Promise.reject(own),
        onClose: () => void closed++,
      });
      const { session, socket } = await connectSession(container);
      session.receiveText("x");
      await within(session.closed);
      assert.equal(socket.lastClose?.code, 1011);
      assert.equal(closed, 1);
      assert.equal(logger.calls.length, 1);
      assert.equal(logger.calls[0]!.err, own);
    });

    test(`onClose ${kind}: logged, not fatal; closed still settles with the reason`, async () => {
      const own = new Error("onClose's own");
      const { container, logger } = containerWith({
        onClose: kind === "throws" ? () => { throw own; } : () => Promise.reject(own),
      });
      const { session } = await connectSession(container);
      session.receiveClose(4000, "x");
      assert.equal((await within(session.closed)).code, 4000);
      assert.equal(logger.calls.length, 1);
      assert.equal(logger.calls[0]!.err, own);
    });
  }

  test("an onText promise that rejects after the session closed is logged", async () => {
    const gate = deferred<void>();
    const { container, logger } = containerWith({ onText: () => gate.promise, onError: () => {} });
    const { session } = await connectSession(container);
    session.receiveText("x");
    session.receiveClose(1000, "");
    await within(session.closed);
    const late = new Error("late");
    gate.reject(late);
    await tick();
    assert.equal(logger.calls.length, 1);
    assert.equal(logger.calls[0]!.err, late);
  });
});
