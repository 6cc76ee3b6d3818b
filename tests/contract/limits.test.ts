import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually, sleep } from "../support/client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`limits and timeouts [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const log: string[] = [];
  const container = createContainer({ defaultMaxIdleTimeoutMs: 250 });
  const echo = {
    onOpen: (session: Session) => session,
    onText: (session: Session, text: string) => {
      log.push(`text ${text.length}`);
      void session.asyncRemote.sendText(text);
    },
    onBinary: (session: Session, data: Uint8Array) => {
      log.push(`binary ${data.byteLength}`);
      void session.asyncRemote.sendBinary(data);
    },
    onClose: (_o: Session, _s: Session, reason: { code: number; reasonPhrase: string }) =>
      void log.push(`close ${reason.code} ${reason.reasonPhrase}`),
  };
  addEndpoint(container, "/small", { ...echo, maxTextMessageBufferSize: 8, maxBinaryMessageBufferSize: 4 });
  addEndpoint(container, "/default", { ...echo, idleTimeoutMs: 0 });
  addEndpoint(container, "/idle", { ...echo, idleTimeoutMs: 150 });
  addEndpoint(container, "/container-idle", echo);
  addEndpoint(container, "/full", { ...echo, maxSessions: 2, idleTimeoutMs: 0 });
  addEndpoint(container, "/session-limit", {
    ...echo,
    idleTimeoutMs: 0,
    onOpen: (session: Session) => {
      session.maxTextMessageBufferSize = 3;
      return session;
    },
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown());

  test("a text message of exactly the limit passes; UTF-8 bytes are what count", async () => {
    const client = await connect(`${server.url}/small`);
    client.send("12345678");
    assert.equal(await client.next(), "12345678");
    client.send("éééé"); // 8 bytes, 4 characters
    assert.equal(await client.next(), "éééé");
    client.send(new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual([...(await client.next()) as Uint8Array], [1, 2, 3, 4]);
    client.close(1000);
    await client.closed;
    // onClose runs on the server after the close (never inside it): wait, so the next test's log starts empty.
    await eventually(() => log.includes("close 1000 "));
  });

  test("a text message one byte over closes with 1009 before the callback sees it", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/small`);
    client.send("éééé1"); // 9 bytes, 5 characters
    const close = await client.closed;
    assert.equal(close.code, 1009);
    await eventually(() => log.some((line) => line.startsWith("close")));
    assert.deepEqual(log, [`close 1009 ${close.reason}`]);
  });

  test("a binary message one byte over closes with 1009 before the callback sees it", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/small`);
    client.send(new Uint8Array(5));
    assert.equal((await client.closed).code, 1009);
    await eventually(() => log.some((line) => line.startsWith("close")));
    assert.deepEqual(log, ["close 1009 Binary message too big"]);
  });

  test("the default limit is 1 MiB, inclusive", async () => {
    const client = await connect(`${server.url}/default`);
    const mib = 1024 * 1024;
    client.send("x".repeat(mib));
    assert.equal(((await client.next(10_000)) as string).length, mib);
    client.send(new Uint8Array(mib + 1));
    assert.equal((await client.closed).code, 1009);
  });

  test("session.maxTextMessageBufferSize set in onOpen applies", async () => {
    const client = await connect(`${server.url}/session-limit`);
    client.send("abc");
    assert.equal(await client.next(), "abc");
    client.send("abcd");
    assert.equal((await client.closed).code, 1009);
  });

  test("idle timeout: no traffic for idleTimeoutMs closes with 1001 \"Idle Timeout\"", async () => {
    log.length = 0;
    const started = Date.now();
    const client = await connect(`${server.url}/idle`);
    assert.deepEqual(await client.closed, { code: 1001, reason: "Idle Timeout" });
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 140, `closed after ${elapsed} ms`);
    await eventually(() => log.includes("close 1001 Idle Timeout"));
  });

  test("idle timeout: messages keep the session open", async () => {
    const client = await connect(`${server.url}/idle`);
    for (let i = 0; i < 6; i++) {
      client.send(`ping ${i}`);
      await client.next();
      await sleep(60);
    }
    client.send("last");
    assert.equal(await client.next(), "last");
    assert.deepEqual(await client.closed, { code: 1001, reason: "Idle Timeout" });
  });

  test("idle timeout: the container default applies when the endpoint sets none", async () => {
    const client = await connect(`${server.url}/container-idle`);
    assert.deepEqual(await client.closed, { code: 1001, reason: "Idle Timeout" });
  });

  test("maxSessions: the handshake beyond it gets 503; a freed slot is usable again", async () => {
    const a = await connect(`${server.url}/full`);
    const b = await connect(`${server.url}/full`);
    const refused = await rawRequest(`${server.url}/full`, { headers: upgradeHeaders() });
    assert.equal(refused.status, 503);
    a.close(1000);
    await a.closed;
    await sleep(30);
    const c = await connect(`${server.url}/full`);
    b.close(1000);
    c.close(1000);
    await Promise.all([b.closed, c.closed]);
  });
});
