/**
 * `sendTimeoutMs`: a send channel message that waits longer than that for a
 * client that stopped reading closes the session with 1008 "Send timeout";
 * the buffered and waiting messages get "closed", the waiting `put` false.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { PlinthServer, SendChannel, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { eventually } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { fillUntilPutWaits, settlesWithin } from "./fill_channel.ts";
import { settleRejections, watchUnhandledRejections } from "./process_watch.ts";
import { recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

const SEND_TIMEOUT_MS = 400;
const MESSAGE = 64 * 1024;

describe(`send timeout [${ADAPTER}]`, () => {
  const ledger = new SessionLedger();
  const rejections = watchUnhandledRejections();
  const container = createContainer({ logger: ledger.logger });
  let latest: { session: Session; channel: SendChannel } | undefined;
  addEndpoint(
    container,
    "/timeout",
    ledger.wrap({
      idleTimeoutMs: 0,
      sendTimeoutMs: SEND_TIMEOUT_MS,
      onOpen: (session) => {
        const channel = startWsConnection(session, { sendBufferSize: 4 });
        latest = { session, channel };
        return channel;
      },
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

  test("a send waiting longer than sendTimeoutMs closes the session with 1008; waiting messages get \"closed\"", { timeout: 60_000 }, async () => {
    const reader = await openRawWebSocket(`${server.url}/timeout`);
    reader.pauseReading();
    await eventually(() => latest !== undefined && latest.session.isOpen, 5000, "the session");
    const { session, channel } = latest!;
    const filled = await fillUntilPutWaits(channel, MESSAGE, () => ledger.respond(), 4000, 100);
    assert.notEqual(filled.waiting, null, "put never waited");
    const stuckAt = Date.now();
    await eventually(() => !session.isOpen, SEND_TIMEOUT_MS + 3000, "the session to start closing");
    const closingAt = Date.now();
    assert.equal(await settlesWithin(filled.waiting!, 1000), true, "the waiting put settled");
    assert.equal(await filled.waiting!, false, "the waiting put was refused");
    assert.equal(channel.closed, true);
    const closedResults = ledger.results.closed ?? 0;
    assert.ok(closedResults >= 2, `buffered and waiting messages reported "closed" (${closedResults})`);
    assert.equal(ledger.targetsAnswered, ledger.targetsIssued, "every target answered at once");
    assert.equal(await channel.put(["late", ledger.respond()]), false);

    // The client reads again: after the data it had not read, the close frame says why.
    reader.resumeReading();
    const close = await reader.waitForClose(20_000);
    reader.sendClose(close.code ?? 1000);
    const reason = await session.closed;
    await settleRejections();
    recordResult({
      fault: "send timeout",
      numbers: {
        sendTimeoutMs: SEND_TIMEOUT_MS,
        closedAfterFirstPutMs: closingAt - filled.firstPutAt,
        closedAfterStuckMs: closingAt - stuckAt,
        clientSaw: `${close.code} ${close.reason}`,
        onClose: `${reason.code} ${reason.reasonPhrase}`,
        messagesClosed: closedResults,
      },
    });
    assert.ok(closingAt - filled.firstPutAt >= SEND_TIMEOUT_MS, "not before the timeout");
    assert.ok(closingAt - stuckAt <= SEND_TIMEOUT_MS + 1500, `closed ${closingAt - stuckAt} ms after the put waited`);
    assert.deepEqual({ code: reason.code, reasonPhrase: reason.reasonPhrase }, { code: 1008, reasonPhrase: "Send timeout" });
    assert.deepEqual(ledger.closeOf(session), reason);
    assert.deepEqual({ code: close.code, reason: close.reason }, { code: 1008, reason: "Send timeout" });
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });
});
