import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, CloseReason, createContainer } from "../../mod.ts";
import type { EndpointConfig, PlinthServer, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`session [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const sessions: Session[] = [];
  const configs: EndpointConfig[] = [];
  const container = createContainer();
  addEndpoint(container, "/props/{id}", {
    subprotocols: ["p1"],
    configure: (builder) => void builder.userProperty("role", "tester"),
    onOpen: (session, config) => {
      sessions.push(session);
      configs.push(config);
      session.userProperties.set("mine", session.id);
      return session;
    },
    onText: (session, text) => {
      const s = session as Session;
      void s.asyncRemote.sendText(`${text}:${s.openSessions.size}`);
    },
  });
  addEndpoint(container, "/other", { onOpen: (session) => void sessions.push(session) });

  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown());

  test("id, request, requestURI, pathParameters, subprotocol, userProperties, config", async () => {
    sessions.length = 0;
    const a = await connect(`${server.url}/props/7?x=1`, ["p1"]);
    const b = await connect(`${server.url}/props/8`);
    await eventually(() => sessions.length === 2);
    const [sa, sb] = sessions as [Session, Session];
    assert.equal(typeof sa.id, "string");
    assert.ok(sa.id.length > 0);
    assert.notEqual(sa.id, sb.id);
    assert.ok(sa.request instanceof Request);
    assert.ok(sa.requestURI instanceof URL);
    assert.equal(sa.requestURI.pathname, "/props/7");
    assert.equal(sa.requestURI.searchParams.get("x"), "1");
    assert.deepEqual({ ...sa.pathParameters }, { id: "7" });
    assert.equal(sa.negotiatedSubprotocol, "p1");
    assert.equal(sb.negotiatedSubprotocol, "");
    assert.equal(sa.userProperties.get("role"), "tester");
    assert.equal(sa.userProperties.get("mine"), sa.id);
    assert.equal(sb.userProperties.get("mine"), sb.id, "userProperties are per session");
    assert.equal(configs[0]!.path, "/props/{id}");
    assert.deepEqual([...configs[0]!.subprotocols], ["p1"]);
    assert.equal(sa.isOpen, true);
    a.close(1000);
    b.close(1000);
    await Promise.all([sa.closed, sb.closed]);
    assert.equal(sa.isOpen, false);
  });

  test("session.request is the handshake as the client sent it, for each session, after it closed too", async () => {
    sessions.length = 0;
    const a = await connect(`${server.url}/props/1?q=a`, ["p1"]);
    const b = await connect(`${server.url}/props/2`);
    await eventually(() => sessions.length === 2);
    const [sa, sb] = sessions as [Session, Session];
    a.close(1000);
    b.close(1000);
    await Promise.all([sa.closed, sb.closed]);
    const host = new URL(server.url).host;
    for (const [session, path] of [[sa, "/props/1?q=a"], [sb, "/props/2"]] as const) {
      const request = session.request;
      assert.equal(request.method, "GET");
      assert.equal(request.url, `${server.url}${path}`);
      assert.equal(request.headers.get("host"), host);
      assert.equal(request.headers.get("upgrade")?.toLowerCase(), "websocket");
      assert.equal(request.headers.get("sec-websocket-version"), "13");
      assert.match(request.headers.get("sec-websocket-key") ?? "", /^[A-Za-z0-9+/]{22}==$/);
    }
    assert.equal(sa.request.headers.get("sec-websocket-protocol"), "p1");
    assert.equal(sb.request.headers.get("sec-websocket-protocol"), null);
    assert.notEqual(sa.request.headers.get("sec-websocket-key"), sb.request.headers.get("sec-websocket-key"), "each session keeps its own key");
  });

  test("openSessions holds the open sessions of the same endpoint only", async () => {
    sessions.length = 0;
    const a = await connect(`${server.url}/props/1`);
    const b = await connect(`${server.url}/props/2`);
    const other = await connect(`${server.url}/other`);
    await eventually(() => sessions.length === 3);
    a.send("count");
    assert.equal(await a.next(), "count:2");
    const [sa, sb] = sessions as [Session, Session];
    assert.ok(sa.openSessions.has(sb) && sa.openSessions.has(sa));
    b.close(1000);
    await sb.closed;
    a.send("count");
    assert.equal(await a.next(), "count:1");
    assert.equal(sa.openSessions.has(sb), false);
    a.close(1000);
    other.close(1000);
    await sa.closed;
  });

  test("session.close refuses codes an endpoint may not send, and over-long reasons", async () => {
    sessions.length = 0;
    const client = await connect(`${server.url}/props/9`);
    await eventually(() => sessions.length === 1);
    const session = sessions[0]!;
    for (const code of [1004, 1005, 1006, 1015]) {
      assert.throws(() => session.close(new CloseReason(code, "")), RangeError);
    }
    assert.throws(() => new CloseReason(999), RangeError);
    assert.throws(() => new CloseReason(5000), RangeError);
    assert.throws(() => new CloseReason(1000, "é".repeat(62)), RangeError); // 124 bytes
    assert.doesNotThrow(() => new CloseReason(1000, "é".repeat(61) + "x")); // 123 bytes
    assert.equal(session.isOpen, true, "a refused close leaves the session open");
    session.close(new CloseReason(4100, "é".repeat(61) + "x"));
    assert.deepEqual(await client.closed, { code: 4100, reason: "é".repeat(61) + "x" });
  });

  test("session setters refuse bad values with RangeError/TypeError", async () => {
    sessions.length = 0;
    const client = await connect(`${server.url}/props/3`);
    await eventually(() => sessions.length === 1);
    const session = sessions[0]!;
    assert.throws(() => (session.maxIdleTimeout = -1), RangeError);
    assert.throws(() => (session.maxTextMessageBufferSize = 1.5), RangeError);
    assert.throws(() => (session.maxBinaryMessageBufferSize = "1" as unknown as number), TypeError);
    client.close(1000);
    await session.closed;
  });
});

describe(`shutdown [${ADAPTER}]`, () => {
  test("shutdown() closes every session with 1001, waits for onClose, then stops listening", async () => {
    const closes: string[] = [];
    const container = createContainer();
    addEndpoint(container, "/a", {
      onOpen: (session) => session,
      onClose: async (_o, session, reason) => {
        await new Promise((resolve) => setTimeout(resolve, 30));
        closes.push(`${session.requestURI.pathname} ${reason.code}`);
      },
    });
    addEndpoint(container, "/b/{n}", {
      onClose: (_o, session, reason) => void closes.push(`${session.requestURI.pathname} ${reason.code}`),
    });
    const server = await serveWith(container);
    const clients = [
      await connect(`${server.url}/a`),
      await connect(`${server.url}/a`),
      await connect(`${server.url}/b/1`),
    ];
    await server.shutdown();
    assert.deepEqual(closes.sort(), ["/a 1001", "/a 1001", "/b/1 1001"]);
    for (const client of clients) assert.equal((await client.closed).code, 1001);
    await assert.rejects(connect(`${server.url}/a`));
  });

  test("an aborted signal shuts the server down", async () => {
    const container = createContainer();
    const closes: number[] = [];
    addEndpoint(container, "/a", { onClose: (_o, _s, reason) => void closes.push(reason.code) });
    const controller = new AbortController();
    const server = await serveWith(container, { signal: controller.signal });
    const client = await connect(`${server.url}/a`);
    controller.abort();
    assert.equal((await client.closed).code, 1001);
    await eventually(() => closes.length === 1);
    assert.deepEqual(closes, [1001]);
  });
});
