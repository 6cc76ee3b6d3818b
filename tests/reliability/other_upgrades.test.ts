/**
 * A request to an endpoint with an `Upgrade` header other than `websocket`
 * (`h2c`) is answered — not left hanging — and does not keep `shutdown()`
 * from completing. Node hands every request with an `Upgrade` header to the
 * server's upgrade listeners; @hono/node-server takes only `websocket`.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { rawRequest } from "../support/raw_http.ts";
import { ADAPTER } from "../support/runtime.ts";

test(
  `an Upgrade: h2c request is answered and shutdown() still completes [${ADAPTER}]`,
  {
    timeout: 30_000,
  },
  async () => {
    const container = createContainer();
    addEndpoint(container, "/ws", { onOpen: (session) => session });
    const server = await serveWith(container);
    let stopped = false;
    try {
      const response = await rawRequest(`${server.url}/ws`, {
        headers: { Upgrade: "h2c", Connection: "Upgrade, HTTP2-Settings", "HTTP2-Settings": "AAMAAABkAAQAAP__" },
        timeoutMs: 2000,
      }).catch((error: Error) => error);
      assert.ok(!(response instanceof Error), `no answer: ${response instanceof Error ? response.message : ""}`);
      assert.ok(response.status >= 400 && response.status < 500, `status ${response.status}`);
      const shutdown = server.shutdown({ timeoutMs: 500 }).then(() => (stopped = true));
      await Promise.race([shutdown, new Promise((resolve) => setTimeout(resolve, 3000))]);
      assert.equal(stopped, true, "shutdown() completed within 3 s");
    } finally {
      if (!stopped) void server.shutdown({ timeoutMs: 0 });
    }
  },
);
