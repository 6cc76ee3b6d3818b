// No callback runs inside another, on any adapter: onClose never runs inside session.close() or
// inside onOpen, results of sends handed over before close() settle before onClose, the first
// close() wins, and a close() inside onClose does nothing. Each endpoint logs what it observes.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createContainer } from "../../mod.ts";
import type { PlinthServer } from "../../mod.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { addOrderingEndpoints, EventLog, EXPECTED_ORDER } from "../support/ordering_endpoints.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`callback order [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const log = new EventLog();
  const container = createContainer({ logger: { error: () => {} } });
  addOrderingEndpoints(container, log);

  before(async () => {
    server = await serveWith(container);
  });
  after(async () => {
    await server?.shutdown({ timeoutMs: 500 });
  });

  const sendsText = new Set(["/order/close-in-text", "/order/close-twice", "/order/close-in-close"]);
  for (const [path, expected] of Object.entries(EXPECTED_ORDER)) {
    test(`${path}: ${expected.join(" → ")}`, async () => {
      const key = `${ADAPTER}${path}`;
      const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}${path}?log=${encodeURIComponent(key)}`);
      try {
        if (sendsText.has(path)) ws.sendText("a");
        let message = await ws.nextMessage(3000);
        while (message !== null && message.type !== "close") message = await ws.nextMessage(3000);
        assert.ok(message !== null, "the server sends a close frame");
        const expectedCode = Number(/onClose (\d+)/.exec(expected.join(" "))![1]);
        assert.equal(message.code, expectedCode);
        ws.sendClose(message.code, message.reason);
        const last = expected[expected.length - 1]!;
        const seen = await log.waitFor(key, last.split(" ")[0]!);
        assert.deepEqual(seen, expected);
      } finally {
        ws.destroy();
      }
    });
  }
});
