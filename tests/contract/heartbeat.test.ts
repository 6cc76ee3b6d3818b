// The heartbeat: protocol pings every pingIntervalMs; a peer that answers stays open however quiet
// it is; a peer that has not answered by the next ping is dropped, and onClose reports
// 1001 "Ping timeout" once, on every adapter (Deno's own idleTimeout ping included).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer } from "../../mod.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { eventually, sleep } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`heartbeat [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const log: string[] = [];
  const container = createContainer({ logger: { error: () => {} } });
  addEndpoint(container, "/beat", {
    pingIntervalMs: 200,
    onOpen: (session) => {
      log.push("onOpen");
      return session;
    },
    onClose: (_o, _s, reason) => void log.push(`onClose ${reason.code} ${reason.reasonPhrase}`),
  });
  addEndpoint(container, "/quiet", {
    pingIntervalMs: 0,
    onClose: (_o, _s, reason) => void log.push(`quiet onClose ${reason.code}`),
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(async () => {
    await server?.shutdown({ timeoutMs: 500 });
  });

  test("a peer that answers pings stays open, and gets pings", async () => {
    log.length = 0;
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/beat`); // answers pings
    try {
      await sleep(1000); // five intervals
      assert.deepEqual(log, ["onOpen"]);
      assert.ok(ws.frames.some((frame) => frame.kind === "ping"), "the server pinged");
      assert.ok(!ws.ended);
    } finally {
      await ws.close(1000, "", 2000);
      ws.destroy();
    }
  });

  test("a peer that stops answering is dropped: onClose 1001 Ping timeout, once", async () => {
    await eventually(() => log.length === 0 || log.at(-1)!.startsWith("onClose"), 3000, "previous close");
    log.length = 0;
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/beat`, { autoPong: false });
    try {
      const started = Date.now();
      await eventually(() => log.some((line) => line.startsWith("onClose")), 3000, "onClose");
      const elapsed = Date.now() - started;
      await sleep(300); // a second close event (Deno reports two) must not make a second onClose
      assert.deepEqual(log, ["onOpen", "onClose 1001 Ping timeout"]);
      assert.ok(elapsed >= 150 && elapsed < 1500, `dropped after ${elapsed} ms`);
      await eventually(() => ws.ended, 3000, "the connection dropped");
    } finally {
      ws.destroy();
    }
  });

  test("pingIntervalMs 0: no pings", async () => {
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/quiet`, { autoPong: false });
    try {
      await sleep(600);
      assert.ok(!ws.frames.some((frame) => frame.kind === "ping"), "no ping");
      assert.ok(!ws.ended);
    } finally {
      await ws.close(1000, "", 2000);
      ws.destroy();
    }
  });
});
