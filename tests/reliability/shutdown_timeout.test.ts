/**
 * `shutdown({ timeoutMs })` with work in flight: messages put with response
 * targets all get a result, sessions whose client does not finish the
 * closing handshake (silent, or not reading) are terminated on time,
 * `onClose` runs once for every session, and shutdown resolves within about
 * `timeoutMs`.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { SendChannel, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { numbered } from "./fill_channel.ts";
import { settleRejections, watchUnhandledRejections } from "./process_watch.ts";
import { recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

const TIMEOUT_MS = 800;

test(`shutdown({ timeoutMs }) answers every in-flight message, terminates laggards, runs every onClose [${ADAPTER}]`, { timeout: 30_000 }, async () => {
  const ledger = new SessionLedger();
  const rejections = watchUnhandledRejections();
  const container = createContainer({ logger: ledger.logger });
  const channels: { session: Session; channel: SendChannel }[] = [];
  addEndpoint(
    container,
    "/feed",
    ledger.wrap({
      idleTimeoutMs: 0,
      onOpen: (session) => {
        const channel = startWsConnection(session, { sendBufferSize: 32 });
        channels.push({ session, channel });
        return channel;
      },
    }),
  );
  const server = await serveWith(container);
  try {
    const good = await connect(`${server.url}/feed`);
    const silent = await openRawWebSocket(`${server.url}/feed`);
    const stuck = await openRawWebSocket(`${server.url}/feed`);
    await eventually(() => channels.length === 3, 5000, "three sessions");
    silent.goSilent();
    stuck.pauseReading();
    // In flight: 200 messages with targets on every session, most of them still queued or waiting.
    const puts: Promise<boolean>[] = [];
    for (const { channel } of channels) {
      for (let seq = 0; seq < 200; seq++) puts.push(channel.put([numbered(seq, 32 * 1024), ledger.respond()]));
    }
    const started = Date.now();
    await server.shutdown({ timeoutMs: TIMEOUT_MS });
    const took = Date.now() - started;
    const putResults = await Promise.race([Promise.all(puts), new Promise<null>((r) => setTimeout(() => r(null), 2000))]);
    await settleRejections();
    const goodClose = await good.closed;
    recordResult({
      fault: "shutdown with work in flight",
      numbers: {
        timeoutMs: TIMEOUT_MS,
        shutdownMs: took,
        sessions: ledger.opened,
        targets: ledger.targetsIssued,
        results: JSON.stringify(ledger.results),
        closeCodes: JSON.stringify(ledger.closeCodes()),
      },
    });
    assert.notEqual(putResults, null, "every put settled");
    assert.equal(ledger.targetsAnswered, ledger.targetsIssued, "every response target answered");
    assert.equal(ledger.opened, 3);
    assert.equal(ledger.closed, 3);
    assert.deepEqual(ledger.closeCodes(), { 1001: 3 }, "onClose reports the server's 1001 for all");
    assert.equal(goodClose.code, 1001, "the reading client gets the 1001 close frame");
    assert.equal(channels[0]!.session.openSessions.size, 0);
    assert.ok(took <= TIMEOUT_MS + 1000, `shutdown took ${took} ms with timeoutMs ${TIMEOUT_MS}`);
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(rejections.seen, []);
    silent.destroy();
    stuck.destroy();
  } finally {
    await server.shutdown();
    rejections.stop();
  }
});

test(
  `shutdown(): a client that reads gets the 1001 close frame after the data already sent to it [${ADAPTER}]`,
  {
    timeout: 30_000,
  },
  async () => {
    const container = createContainer();
    let channel: SendChannel | undefined;
    addEndpoint(container, "/feed", {
      idleTimeoutMs: 0,
      onOpen: (session) => (channel = startWsConnection(session, { sendBufferSize: 32 })),
    });
    const server = await serveWith(container);
    try {
      const client = await connect(`${server.url}/feed`);
      await eventually(() => channel !== undefined, 5000, "the session");
      for (let seq = 0; seq < 200; seq++) void channel!.put(numbered(seq, 32 * 1024));
      await server.shutdown({ timeoutMs: TIMEOUT_MS });
      const close = await Promise.race([client.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
      recordResult({ fault: "shutdown, reading client", numbers: { clientSaw: close?.code ?? "nothing", received: client.received.length } });
      assert.equal(close?.code, 1001);
    } finally {
      await server.shutdown();
    }
  },
);
