// Bun-only: handlers() for users who own their Bun.serve, and topics on Bun's native publish.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { handlers } from "../../adapters/bun.ts";
import { connect, eventually } from "../support/client.ts";
import { rawRequest } from "../support/raw_http.ts";

describe("bun adapter pieces", () => {
  test("handlers() serves endpoints and the fallback; topics are Bun's own subscriptions", async () => {
    const container = createContainer();
    const sessions: Session[] = [];
    addEndpoint(container, "/room", {
      onOpen: (session) => {
        session.subscribe("room");
        sessions.push(session);
        return session;
      },
      onText: (session, text) => (session as Session).publish("room", text),
    });
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, ...handlers(container, () => new Response("page")) });
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const a = await connect(`${url}/room`);
      const b = await connect(`${url}/room`);
      await eventually(() => sessions.length === 2);
      assert.equal(server.subscriberCount("room"), 2, "subscriptions are Bun's own");
      a.send("from a");
      assert.equal(await b.next(), "from a");
      container.publish("room", "to all");
      assert.equal(await a.next(), "to all");
      assert.equal(await b.next(), "to all");
      sessions[0]!.unsubscribe("room");
      assert.equal(server.subscriberCount("room"), 1);
      const page = await rawRequest(`${url}/`);
      assert.equal(page.body, "page");
      a.close(1000);
      b.close(1000);
      await Promise.all(sessions.map((session) => session.closed));
      assert.equal(server.subscriberCount("room"), 0);
    } finally {
      await server.stop(true);
    }
  });
});
