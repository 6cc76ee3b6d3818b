// Subprotocol offers are RFC 9110 lists: however the client spaces them, and whether it sends one
// header line or several, every adapter negotiates the same protocol and answers it on the 101.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer } from "../../mod.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`subprotocol lists [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const negotiated: string[] = [];
  const container = createContainer();
  addEndpoint(container, "/proto", {
    subprotocols: ["chat.v2", "chat.v1"],
    onOpen: (session) => void negotiated.push(session.negotiatedSubprotocol),
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(async () => {
    await server?.shutdown({ timeoutMs: 500 });
  });

  const offers: [name: string, lines: string[], expected: string][] = [
    ["no spaces", ["x,chat.v1,chat.v2"], "chat.v1"],
    ["spaces on both sides", ["x , chat.v2 ,chat.v1"], "chat.v2"],
    ["tabs", ["x\t,\tchat.v1"], "chat.v1"],
    ["repeated header lines", ["x", "chat.v1, chat.v2"], "chat.v1"],
    ["empty elements", [",, chat.v2,,"], "chat.v2"],
    ["no overlap, no spaces", ["x,y"], ""],
  ];
  for (const [name, lines, expected] of offers) {
    test(`${name}: ${JSON.stringify(lines)} → ${JSON.stringify(expected)}`, async () => {
      const before = negotiated.length;
      const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/proto`, {
        headers: lines.map((line) => ["Sec-WebSocket-Protocol", line] as const),
      });
      try {
        assert.equal(ws.headers.get("sec-websocket-protocol") ?? "", expected);
        const deadline = Date.now() + 3000;
        while (negotiated.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        assert.equal(negotiated[before], expected);
      } finally {
        await ws.close(1000, "", 2000);
      }
    });
  }
});
