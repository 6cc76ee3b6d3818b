// Deno-only: the low-level pieces of adapters/deno.ts for users who own their Deno.serve.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { EndpointMap, Session } from "../../mod.ts";
import { handler, upgrade } from "../../adapters/deno.ts";
import { connect, eventually } from "../support/client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";

function listen(fetch: (request: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, fetch);
  return { url: `http://127.0.0.1:${server.addr.port}`, server };
}

describe("deno adapter pieces", () => {
  test("handler(container, fallback) serves endpoints and falls back for the rest", async () => {
    const container = createContainer();
    addEndpoint(container, "/ws", {
      onOpen: (session) => session,
      onText: (session, text) => void (session as Session).asyncRemote.sendText(`got ${text}`),
    });
    const { url, server } = listen(handler(container, () => new Response("page")));
    try {
      const client = await connect(`${url}/ws`);
      client.send("x");
      assert.equal(await client.next(), "got x");
      client.close(1000);
      await client.closed;
      const page = await rawRequest(`${url}/index.html`);
      assert.equal(page.status, 200);
      assert.equal(page.body, "page");
    } finally {
      await server.shutdown();
    }
  });

  test("upgrade(request, endpoint, { pathParameters }) serves one endpoint from any router", async () => {
    const opened: Session[] = [];
    const room: EndpointMap<Session> = {
      subprotocols: ["room.v1"],
      maxSessions: 2,
      onOpen: (session) => {
        opened.push(session);
        return session;
      },
    };
    const pattern = new URLPattern({ pathname: "/rooms/:room" });
    const { url, server } = listen((request) => {
      const match = pattern.exec(request.url);
      if (!match) return new Response("Not Found", { status: 404 });
      return upgrade(request, room, { pathParameters: { room: match.pathname.groups.room ?? "" } });
    });
    try {
      const a = await connect(`${url}/rooms/blue`, ["x", "room.v1"]);
      const b = await connect(`${url}/rooms/red`);
      await eventually(() => opened.length === 2);
      assert.deepEqual({ ...opened[0]!.pathParameters }, { room: "blue" });
      assert.equal(a.protocol, "room.v1");
      assert.equal(opened[0]!.openSessions.size, 2, "sessions of one endpoint object share openSessions");
      const full = await rawRequest(`${url}/rooms/green`, { headers: upgradeHeaders() });
      assert.equal(full.status, 503);
      const plain = await rawRequest(`${url}/rooms/green`);
      assert.equal(plain.status, 426);
      a.close(1000);
      b.close(1000);
      await Promise.all([a.closed, b.closed]);
    } finally {
      await server.shutdown();
    }
  });
});
