// Before a session is open: messages held while an async onOpen runs are bounded by the
// endpoint's message limits (past the bound: 1008), and a shutdown that begins between the
// upgrade and the socket's open event still closes the session with 1001 "Server shutdown".
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, Session } from "../../mod.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { eventually, sleep } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";

const LIMIT = 100_000;

describe(`before open [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const log: string[] = [];
  const container = createContainer({ logger: { error: () => {} } });
  addEndpoint(container, "/slow-open", {
    maxTextMessageBufferSize: LIMIT,
    maxBinaryMessageBufferSize: LIMIT,
    onOpen: async (session: Session) => {
      await sleep(300);
      log.push("onOpen done");
      return session;
    },
    onText: (session, text) => {
      log.push(`onText ${text.length}`);
      void session.asyncRemote.sendText(`${text.length}`);
    },
    onBinary: (_s, data) => void log.push(`onBinary ${data.byteLength}`),
    onClose: (_o, _s, reason) => void log.push(`onClose ${reason.code} ${reason.reasonPhrase}`),
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(async () => {
    await server?.shutdown({ timeoutMs: 500 });
  });

  test("a flood while onOpen runs closes with 1008 and reaches no callback", async () => {
    log.length = 0;
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/slow-open`);
    try {
      const chunk = "x".repeat(8 * 1024);
      for (let i = 0; i < 30; i++) ws.sendText(chunk); // 240 KiB, each message well under the limit
      const message = await ws.nextMessage(3000);
      assert.deepEqual(message, { type: "close", code: 1008, reason: "Too much data before open" });
      ws.sendClose(1008);
      await eventually(() => log.some((line) => line.startsWith("onClose")), 3000, "onClose");
      assert.deepEqual(log, ["onOpen done", "onClose 1008 Too much data before open"]);
    } finally {
      ws.destroy();
    }
  });

  test("under the bound, held messages are delivered after onOpen, in order", async () => {
    log.length = 0;
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/slow-open`);
    try {
      for (let i = 1; i <= 5; i++) ws.sendText("y".repeat(i * 1000));
      ws.sendBinary(new Uint8Array(10));
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(await ws.nextMessage(3000));
      assert.deepEqual(replies.map((m) => m?.type === "text" ? m.text : m), ["1000", "2000", "3000", "4000", "5000"]);
      await eventually(() => log.length === 7, 3000, "onBinary");
      assert.deepEqual(log, ["onOpen done", "onText 1000", "onText 2000", "onText 3000", "onText 4000", "onText 5000", "onBinary 10"]);
      await ws.close(1000, "", 2000);
    } finally {
      ws.destroy();
    }
  });
});

describe(`shutdown while a handshake is in flight [${ADAPTER}]`, () => {
  test("the session accepted before shutdown began: onOpen, then onClose 1001 Server shutdown", async () => {
    const log: string[] = [];
    const container = createContainer({ logger: { error: () => {} } });
    let server: PlinthServer | undefined;
    let stopped: Promise<void> | undefined;
    addEndpoint(container, "/in-flight", {
      configure: (builder) =>
        void builder.configurator({
          modifyHandshake() {
            // Shutdown begins right after this handshake is accepted, before the socket is open.
            queueMicrotask(() => (stopped = server!.shutdown({ timeoutMs: 2000 })));
          },
        }),
      onOpen: (session) => {
        log.push(`onOpen isOpen=${session.isOpen}`);
        return session;
      },
      onClose: (_o, _s, reason) => void log.push(`onClose ${reason.code} ${reason.reasonPhrase}`),
    });
    server = await serveWith(container);
    const ws = await openRawWebSocket(`${server.url.replace(/^http/, "ws")}/in-flight`);
    try {
      const message = await ws.nextMessage(3000);
      assert.deepEqual(message, { type: "close", code: 1001, reason: "Server shutdown" });
      ws.sendClose(1001);
      await eventually(() => stopped !== undefined, 3000, "shutdown began");
      await stopped;
      assert.deepEqual(log, ["onOpen isOpen=true", "onClose 1001 Server shutdown"]);
    } finally {
      ws.destroy();
      await server.shutdown({ timeoutMs: 200 });
    }
  });
});
