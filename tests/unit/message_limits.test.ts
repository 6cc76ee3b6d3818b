import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fitsUtf8, utf8ByteLength } from "../../src/utf8.ts";
import { connectSession, containerWith, deferred, tick, within } from "./memory_socket.ts";

describe("utf8ByteLength / fitsUtf8", () => {
  test("counts UTF-8 bytes as TextEncoder does, lone surrogates as U+FFFD", () => {
    const samples = ["", "abc", "é", "€", "😀", "a😀b€é", "\ud800", "\udc00x", "x\ud800", "\ud800\ud800", "😀".repeat(50)];
    for (const s of samples) {
      assert.equal(utf8ByteLength(s), new TextEncoder().encode(s).byteLength, JSON.stringify(s));
    }
  });

  test("fitsUtf8 is inclusive and byte-exact at every limit", () => {
    const samples = ["", "a", "€€", "é€😀", "abc€", "😀😀a"];
    for (const s of samples) {
      const bytes = new TextEncoder().encode(s).byteLength;
      for (let limit = 0; limit <= bytes + 3; limit++) {
        assert.equal(fitsUtf8(s, limit), bytes <= limit, `${JSON.stringify(s)} in ${limit}`);
      }
    }
  });
});

describe("message limits", () => {
  test("text: a message of exactly the limit in UTF-8 bytes passes; one byte more → 1009 before onText", async () => {
    const texts: string[] = [];
    const { container } = containerWith({ onText: (_o, t) => void texts.push(t), maxTextMessageBufferSize: 6 });
    const { session, socket } = await connectSession(container);
    session.receiveText("héllo"); // 6 bytes, 5 units
    session.receiveText("€€"); // 6 bytes, 2 units
    session.receiveText("abcdef");
    assert.deepEqual(texts, ["héllo", "€€", "abcdef"]);
    assert.deepEqual(socket.closes, []);
    session.receiveText("€€a"); // 7 bytes, 3 units
    assert.deepEqual(texts, ["héllo", "€€", "abcdef"]);
    assert.deepEqual(socket.closes, [{ code: 1009, reason: "Text message too big" }]);
    assert.equal((await within(session.closed)).code, 1009);
  });

  test("binary: exactly the limit passes; one byte more → 1009 before onBinary", async () => {
    const sizes: number[] = [];
    const { container } = containerWith({ onBinary: (_o, d) => void sizes.push(d.byteLength), maxBinaryMessageBufferSize: 4 });
    const { session, socket } = await connectSession(container);
    session.receiveBinary(new Uint8Array(4));
    session.receiveBinary(new Uint8Array(0));
    session.receiveBinary(new Uint8Array(5));
    assert.deepEqual(sizes, [4, 0]);
    assert.deepEqual(socket.closes, [{ code: 1009, reason: "Binary message too big" }]);
    assert.equal((await within(session.closed)).code, 1009);
  });

  test("the text limit does not apply to binary messages, nor the other way round", async () => {
    const got: string[] = [];
    const { container } = containerWith({
      onText: (_o, t) => void got.push(`t${t.length}`),
      onBinary: (_o, d) => void got.push(`b${d.byteLength}`),
      maxTextMessageBufferSize: 2,
      maxBinaryMessageBufferSize: 10,
    });
    const { session, socket } = await connectSession(container);
    session.receiveBinary(new Uint8Array(10));
    session.receiveText("ab");
    assert.deepEqual(got, ["b10", "t2"]);
    assert.deepEqual(socket.closes, []);
    session.close();
    await within(session.closed);
  });

  test("a limit of 0 admits only empty messages", async () => {
    const texts: string[] = [];
    const { container } = containerWith({ onText: (_o, t) => void texts.push(t), maxTextMessageBufferSize: 0 });
    const { session, socket } = await connectSession(container);
    session.receiveText("");
    session.receiveText("a");
    assert.deepEqual(texts, [""]);
    assert.equal(socket.lastClose?.code, 1009);
    await within(session.closed);
  });

  test("the container defaults apply to endpoints that set no limit; default 1 MiB", async () => {
    const small = containerWith({}, { defaultMaxTextMessageBufferSize: 3, defaultMaxBinaryMessageBufferSize: 5 });
    const a = await connectSession(small.container);
    assert.equal(a.session.maxTextMessageBufferSize, 3);
    assert.equal(a.session.maxBinaryMessageBufferSize, 5);
    a.session.receiveText("abcd");
    assert.equal(a.socket.lastClose?.code, 1009);
    const b = await connectSession(containerWith({}).container);
    assert.equal(b.session.maxTextMessageBufferSize, 1024 * 1024);
    assert.equal(b.session.maxBinaryMessageBufferSize, 1024 * 1024);
    b.session.receiveBinary(new Uint8Array(1024 * 1024));
    assert.deepEqual(b.socket.closes, []);
    b.session.receiveBinary(new Uint8Array(1024 * 1024 + 1));
    assert.equal(b.socket.lastClose?.code, 1009);
    await within(Promise.all([a.session.closed, b.session.closed]));
  });

  test("a message over the limit while onOpen runs closes 1009 and nothing queued is delivered", async () => {
    const texts: string[] = [];
    const gate = deferred<string>();
    const { container } = containerWith({ onOpen: () => gate.promise, onText: (_o, t) => void texts.push(t), maxTextMessageBufferSize: 3 });
    const { session, socket } = await connectSession(container);
    session.receiveText("ok");
    session.receiveText("toolong");
    session.receiveText("no");
    assert.deepEqual(socket.closes, [{ code: 1009, reason: "Text message too big" }]);
    gate.resolve("obj");
    await within(session.closed);
    assert.deepEqual(texts, []);
  });

  test("the setters change the limits of one session", async () => {
    const texts: string[] = [];
    const { container } = containerWith({ onText: (_o, t) => void texts.push(t), onBinary: () => {} });
    const a = await connectSession(container);
    const b = await connectSession(container);
    a.session.maxTextMessageBufferSize = 2;
    a.session.maxBinaryMessageBufferSize = 1;
    assert.equal(a.session.maxTextMessageBufferSize, 2);
    assert.equal(b.session.maxTextMessageBufferSize, 1024 * 1024);
    b.session.receiveText("abc");
    a.session.receiveText("ab");
    assert.deepEqual(texts, ["abc", "ab"]);
    a.session.receiveBinary(new Uint8Array(2));
    assert.equal(a.socket.lastClose?.code, 1009);
    assert.deepEqual(b.socket.closes, []);
    b.session.close();
    await within(Promise.all([a.session.closed, b.session.closed]));
  });

  test("the setters reject bad values, naming the setting, and keep the old value", async () => {
    const { container } = containerWith({});
    const { session } = await connectSession(container);
    for (const name of ["maxTextMessageBufferSize", "maxBinaryMessageBufferSize", "maxIdleTimeout"] as const) {
      const before = session[name];
      for (const bad of [-1, 1.5, NaN, Infinity]) {
        assert.throws(() => { session[name] = bad; }, (e: unknown) => e instanceof RangeError && e.message.includes(name), `${name} = ${bad}`);
      }
      for (const bad of ["10", null, undefined]) {
        assert.throws(() => { session[name] = bad as unknown as number; }, (e: unknown) => e instanceof TypeError && e.message.includes(name), `${name} = ${String(bad)}`);
      }
      assert.equal(session[name], before);
    }
    await tick();
    assert.equal(session.isOpen, true);
    session.close();
    await within(session.closed);
  });
});
