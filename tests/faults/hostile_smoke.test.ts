/**
 * Self-test of the fault tools: ~500 hostile cases against the runtime's own
 * plain echo server, then a well-behaved raw client must still be served.
 *
 * Run: `npx tsx --test tests/faults/hostile_smoke.test.ts`,
 * `npx deno test -A tests/faults/hostile_smoke.test.ts`,
 * `npx bun test tests/faults/hostile_smoke.test.ts`.
 * `HOSTILE_SEED` / `HOSTILE_CASES` override the seed and the case count.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { generateHostileCases, HOSTILE_FAMILIES, runHostileCases } from "./hostile.ts";
import { startPlainEchoServer } from "./plain_server.ts";
import { closeFrameCode, openRawWebSocket } from "./raw_client.ts";

const SEED = Number(process.env.HOSTILE_SEED ?? 0x5eed);
const COUNT = Number(process.env.HOSTILE_CASES ?? 500);

test(`hostile cases against the plain echo server (seed ${SEED}, ${COUNT} cases)`, { timeout: 120_000 }, async () => {
  const server = await startPlainEchoServer({ maxLifetimeMs: 120_000 });
  try {
    const cases = generateHostileCases(SEED, COUNT);
    const summary = await runHostileCases(server.url, cases, { concurrency: 32, timeoutMs: 1000 });
    const context = JSON.stringify({ runtime: server.runtime, seed: SEED, ...summary, unexpected: summary.unexpected.slice(0, 10) }, null, 1);

    assert.equal(summary.casesRun, COUNT, context);
    const sum = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
    assert.equal(sum(summary.byFamily), COUNT, context);
    assert.equal(sum(summary.byOutcome), COUNT, context);
    if (COUNT >= HOSTILE_FAMILIES.length) {
      for (const family of HOSTILE_FAMILIES) assert.ok((summary.byFamily[family] ?? 0) > 0, `family ${family} ran`);
    }
    assert.equal(summary.byOutcome["connect_error"] ?? 0, 0, `the server stayed up\n${context}`);
    assert.ok(summary.messagesReceived > 0, `some cases delivered real messages\n${context}`);

    // A well-behaved client is still served.
    const ws = await openRawWebSocket(server.url);
    ws.sendText("héllo 𝄞");
    assert.deepEqual(await ws.nextMessage(), { type: "text", text: "héllo 𝄞", data: new TextEncoder().encode("héllo 𝄞") });
    ws.sendBinary(Uint8Array.of(0, 1, 2, 255));
    assert.deepEqual(await ws.nextMessage(), { type: "binary", data: Uint8Array.of(0, 1, 2, 255) });
    ws.ping("are you there");
    const pong = await ws.nextFrame();
    assert.equal(pong?.kind, "pong");
    assert.equal(new TextDecoder().decode(pong.payload), "are you there");
    const closed = await ws.close(1000, "done");
    assert.equal(closed.code, 1000);
    assert.equal(closeFrameCode(ws.frames), 1000);
  } finally {
    await server.close();
  }
});

test("raw client: a protocol violation ends the connection", { timeout: 20_000 }, async () => {
  const server = await startPlainEchoServer({ maxLifetimeMs: 20_000 });
  try {
    const ws = await openRawWebSocket(server.url);
    ws.sendFrame({ opcode: 0x3, payload: "reserved" });
    const result = await ws.waitForClose(5000);
    // ws and Bun answer 1002; Deno's plain server drops the TCP connection without a close frame.
    assert.ok(result.code === 1002 || (result.code === null && result.tcpClosed), JSON.stringify(result));
    ws.destroy();
  } finally {
    await server.close();
  }
});

test("raw client: a paused reader holds back the echoes, resuming gets them all in order", { timeout: 30_000 }, async () => {
  const server = await startPlainEchoServer({ maxLifetimeMs: 30_000 });
  try {
    const ws = await openRawWebSocket(server.url);
    ws.pauseReading();
    const size = 64 * 1024;
    const count = 48; // 3 MiB echoed into a reader that does not read
    for (let i = 0; i < count; i++) ws.sendBinary(new Uint8Array(size).fill(i));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(ws.frames.length < count, `paused reader parsed ${ws.frames.length} frames`);
    ws.resumeReading();
    for (let i = 0; i < count; i++) {
      const message = await ws.nextMessage(10_000);
      assert.equal(message?.type, "binary");
      assert.equal(message.type === "binary" ? message.data.length : -1, size);
      assert.equal(message.type === "binary" ? message.data[0] : -1, i);
    }
    const closed = await ws.close();
    assert.equal(closed.code, 1000);
  } finally {
    await server.close();
  }
});

test("raw client: abrupt destroy and half-close end the connection without a close frame", { timeout: 20_000 }, async () => {
  const server = await startPlainEchoServer({ maxLifetimeMs: 20_000 });
  try {
    const a = await openRawWebSocket(server.url);
    a.destroy();
    await a.tcpClosed;
    assert.equal(closeFrameCode(a.frames), null);

    const b = await openRawWebSocket(server.url);
    b.sendText("before fin");
    assert.deepEqual(await b.nextMessage(), { type: "text", text: "before fin", data: new TextEncoder().encode("before fin") });
    b.endWithoutClose();
    const result = await b.waitForClose(5000);
    b.destroy();
    assert.ok(result.tcpClosed || result.code !== null, JSON.stringify(result));
  } finally {
    await server.close();
  }
});
