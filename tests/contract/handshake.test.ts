import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, sleep } from "../support/client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`handshake [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const opened: string[] = [];
  const container = createContainer();
  const record = (name: string) => (session: Session) => {
    opened.push(`${name} ${JSON.stringify(session.pathParameters)} ${session.negotiatedSubprotocol}`);
    return session;
  };
  addEndpoint(container, "/ws/echo", {
    onOpen: record("echo"),
    onText: (session, text) => void (session as Session).asyncRemote.sendText(text),
  });
  addEndpoint(container, "/rooms/{room}", { onOpen: record("room") });
  addEndpoint(container, "/rooms/lobby", { onOpen: record("lobby") });
  addEndpoint(container, "/rooms/{room}/users/{user}", { onOpen: record("user") });
  addEndpoint(container, "/proto", { onOpen: record("proto"), subprotocols: ["chat.v2", "chat.v1"] });
  addEndpoint(container, "/proto-configured", {
    onOpen: record("proto-configured"),
    subprotocols: ["a"],
    configure: (builder) => void builder.subprotocols(["b", "c"]),
  });
  addEndpoint(container, "/origin", {
    onOpen: record("origin"),
    configure: (builder) => void builder.configurator({ checkOrigin: (origin) => origin === "https://good.example" }),
  });
  addEndpoint(container, "/auth", {
    onOpen: record("auth"),
    configure: (builder) =>
      void builder.configurator({
        modifyHandshake(_config, request, response) {
          if (request.headers.get("authorization") !== "Bearer ok") {
            return new Response("go away", { status: 401, headers: { "www-authenticate": "Bearer", "x-why": "no token" } });
          }
          response.headers.set("x-welcome", "yes");
        },
      }),
  });
  addEndpoint(container, "/async-auth", {
    onOpen: record("async-auth"),
    configure: (builder) =>
      void builder.configurator({
        async modifyHandshake() {
          await sleep(5);
          return new Response(null, { status: 403 });
        },
      }),
  });

  before(async () => {
    server = await serveWith(container, {
      fallback: (request) => new Response(`fallback ${new URL(request.url).pathname}`, { status: 200 }),
    });
  });
  after(() => server.shutdown());

  test("an exact path upgrades and echoes", async () => {
    const client = await connect(`${server.url}/ws/echo`);
    client.send("hi");
    assert.equal(await client.next(), "hi");
    client.close(1000, "bye");
    assert.deepEqual(await client.closed, { code: 1000, reason: "bye" });
  });

  test("a template binds path parameters; an exact path beats a template", async () => {
    opened.length = 0;
    const a = await connect(`${server.url}/rooms/kitchen%20sink`);
    const b = await connect(`${server.url}/rooms/lobby`);
    const c = await connect(`${server.url}/rooms/r1/users/ann`);
    await sleep(20);
    assert.deepEqual(opened.sort(), [
      'lobby {} ',
      'room {"room":"kitchen sink"} ',
      'user {"room":"r1","user":"ann"} ',
    ]);
    for (const client of [a, b, c]) client.close();
  });

  test("a plain request to an endpoint gets 426 with Upgrade: websocket", async () => {
    const response = await rawRequest(`${server.url}/ws/echo`);
    assert.equal(response.status, 426);
    assert.equal(response.headers.get("upgrade"), "websocket");
  });

  test("no endpoint: the fallback answers; without one, 404", async () => {
    const response = await rawRequest(`${server.url}/nowhere`, { headers: upgradeHeaders() });
    assert.equal(response.status, 200);
    assert.equal(response.body, "fallback /nowhere");
    const bare = await serveWith(container);
    try {
      const missing = await rawRequest(`${bare.url}/nowhere`);
      assert.equal(missing.status, 404);
    } finally {
      await bare.shutdown();
    }
  });

  test("subprotocol: the first in the client's order that the endpoint supports", async () => {
    const client = await connect(`${server.url}/proto`, ["x", "chat.v1", "chat.v2"]);
    assert.equal(client.protocol, "chat.v1");
    client.close();
    const raw = await rawRequest(`${server.url}/proto`, {
      headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "chat.v2, chat.v1" }),
    });
    assert.equal(raw.status, 101);
    assert.equal(raw.headers.get("sec-websocket-protocol"), "chat.v2");
  });

  test("subprotocol: no overlap sends no Sec-WebSocket-Protocol header", async () => {
    const raw = await rawRequest(`${server.url}/proto`, {
      headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "x, y" }),
    });
    assert.equal(raw.status, 101);
    assert.equal(raw.headers.get("sec-websocket-protocol"), null);
  });

  test("configure runs after the map's subprotocols, so it wins", async () => {
    const raw = await rawRequest(`${server.url}/proto-configured`, {
      headers: upgradeHeaders({ "Sec-WebSocket-Protocol": "a, c" }),
    });
    assert.equal(raw.status, 101);
    assert.equal(raw.headers.get("sec-websocket-protocol"), "c");
  });

  test("checkOrigin false → 403, and onOpen never runs", async () => {
    opened.length = 0;
    const bad = await rawRequest(`${server.url}/origin`, { headers: upgradeHeaders({ Origin: "https://evil.example" }) });
    assert.equal(bad.status, 403);
    const good = await rawRequest(`${server.url}/origin`, { headers: upgradeHeaders({ Origin: "https://good.example" }) });
    assert.equal(good.status, 101);
    await sleep(20);
    assert.deepEqual(opened, ["origin {} "]);
  });

  test("a Response from modifyHandshake is sent as is; headers it sets go out with the 101", async () => {
    opened.length = 0;
    const refused = await rawRequest(`${server.url}/auth`, { headers: upgradeHeaders() });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get("www-authenticate"), "Bearer");
    assert.equal(refused.headers.get("x-why"), "no token");
    assert.equal(refused.body, "go away");
    const accepted = await rawRequest(`${server.url}/auth`, {
      headers: upgradeHeaders({ Authorization: "Bearer ok" }),
    });
    assert.equal(accepted.status, 101);
    assert.equal(accepted.headers.get("x-welcome"), "yes");
    const asyncRefused = await rawRequest(`${server.url}/async-auth`, { headers: upgradeHeaders() });
    assert.equal(asyncRefused.status, 403);
    await sleep(20);
    assert.deepEqual(opened, ["auth {} "]);
  });
});
