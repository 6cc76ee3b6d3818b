/**
 * Clients that vanish: killed while the server streams to them through the
 * send channel, killed halfway through writing a large frame, or half-closed
 * (TCP FIN, no close frame). Each session gets exactly one `onClose` with
 * 1006, every response target a result, the producer's `put` false, and no
 * promise rejection goes unhandled.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { PlinthServer, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { eventually } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { encodeFrame, Opcode } from "../faults/frame.ts";
import { numbered } from "./fill_channel.ts";
import { settleRejections, watchUnhandledRejections } from "./process_watch.ts";
import { recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

describe(`abrupt drops [${ADAPTER}]`, () => {
  const ledger = new SessionLedger();
  const rejections = watchUnhandledRejections();
  const container = createContainer({ logger: ledger.logger });
  let latest: Session | undefined;
  /** What each streaming session's producer did: puts accepted, and when it stopped. */
  const producers = new Map<string, Promise<number>>();
  let binaryMessages = 0;

  addEndpoint(
    container,
    "/stream",
    ledger.wrap({
      idleTimeoutMs: 0,
      onOpen: (session) => {
        latest = session;
        const channel = startWsConnection(session, { sendBufferSize: 8 });
        producers.set(
          session.id,
          (async () => {
            let seq = 0;
            while (seq < 1_000_000 && (await channel.put([numbered(seq, 16 * 1024), ledger.respond()]))) seq++;
            return seq;
          })(),
        );
        return channel;
      },
    }),
  );
  addEndpoint(
    container,
    "/sink",
    ledger.wrap({
      idleTimeoutMs: 0,
      onOpen: (session) => {
        latest = session;
        return session;
      },
      onText: () => void binaryMessages++,
      onBinary: () => void binaryMessages++,
    }),
  );

  let server: PlinthServer;
  before(async () => {
    server = await serveWith(container);
  });
  after(async () => {
    await server.shutdown({ timeoutMs: 1000 });
    rejections.stop();
  });

  /** When the last {@linkcode closeCode} saw its session's onClose. */
  let closedAt = 0;
  /** Waits for `session`'s one onClose and returns its code. */
  async function closeCode(session: Session): Promise<number> {
    await Promise.race([session.closed, new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await eventually(() => (ledger.sessions.get(session.id)?.closes.length ?? 0) > 0, 1000, "onClose");
    closedAt = Date.now();
    await settleRejections();
    return ledger.closeOf(session).code;
  }

  test("killed mid-send: onClose once with 1006, the producer's put returns false, every target answered", { timeout: 30_000 }, async () => {
    latest = undefined;
    const client = await openRawWebSocket(`${server.url}/stream`);
    for (let i = 0; i < 50; i++) {
      const message = await client.nextMessage(10_000);
      assert.equal(message?.type, "binary");
    }
    const session = latest!;
    const startedAt = Date.now();
    client.destroy();
    const code = await closeCode(session);
    const sent = await Promise.race([producers.get(session.id)!, new Promise<number>((r) => setTimeout(() => r(-1), 5000))]);
    recordResult({
      fault: "killed mid-send",
      numbers: { messagesPut: sent, closeCode: code, onCloseAfterMs: closedAt - startedAt, targets: ledger.targetsIssued },
    });
    assert.equal(code, 1006);
    assert.ok(sent >= 50, `the producer stopped (put returned false) after ${sent} messages`);
    assert.equal(ledger.targetsAnswered, ledger.targetsIssued, "every response target answered");
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });

  test("killed mid-receive, halfway through a 512 KiB frame: onClose once with 1006, no message delivered", { timeout: 30_000 }, async () => {
    latest = undefined;
    binaryMessages = 0;
    const client = await openRawWebSocket(`${server.url}/sink`);
    await eventually(() => latest !== undefined, 5000, "the session");
    const session = latest!;
    const frame = encodeFrame({ opcode: Opcode.BINARY, payload: new Uint8Array(512 * 1024).fill(7) });
    client.sendRaw(frame.subarray(0, frame.length / 2));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(session.isOpen, true, "a partial frame is no reason to close");
    client.destroy();
    const code = await closeCode(session);
    recordResult({ fault: "killed mid-receive", numbers: { closeCode: code, messagesDelivered: binaryMessages } });
    assert.equal(code, 1006);
    assert.equal(binaryMessages, 0);
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });

  test("half-open (TCP FIN without a close frame): onClose once with 1006", { timeout: 30_000 }, async () => {
    latest = undefined;
    binaryMessages = 0;
    const client = await openRawWebSocket(`${server.url}/sink`);
    await eventually(() => latest !== undefined, 5000, "the session");
    const session = latest!;
    client.sendText("before the FIN");
    await eventually(() => binaryMessages === 1, 5000, "the message before the FIN");
    const startedAt = Date.now();
    client.endWithoutClose();
    const code = await closeCode(session);
    const elapsed = closedAt - startedAt;
    client.destroy();
    recordResult({ fault: "half-open", numbers: { closeCode: code, onCloseAfterMs: elapsed } });
    assert.equal(code, 1006);
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });

  test("killed while the server's close waits for an answer: onClose once with the server's code", { timeout: 30_000 }, async () => {
    latest = undefined;
    const client = await openRawWebSocket(`${server.url}/sink`);
    await eventually(() => latest !== undefined, 5000, "the session");
    const session = latest!;
    client.goSilent();
    session.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.destroy();
    const code = await closeCode(session);
    assert.equal(code, 1000);
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });
});
