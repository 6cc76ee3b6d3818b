/**
 * A client that stops reading while the server keeps putting messages on
 * its send channel: the producer sees backpressure (`put` waits, `offer`
 * refuses), the session holds at most the channel buffer plus the 64 KiB
 * high-water mark (plus one message), process memory stays flat while the
 * producer keeps trying, another client's echo latency does not degrade,
 * and once the client reads again every message arrives, in order.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { PlinthServer, SendChannel, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually } from "../support/client.ts";
import type { TestClient } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { echoEndpoint } from "./echo_endpoint.ts";
import { fillUntilPutWaits, quantile, seqOf, settlesWithin } from "./fill_channel.ts";
import { mib, rssBytes, settleRejections, watchUnhandledRejections } from "./process_watch.ts";
import { pick, recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

const HIGH_WATER_MARK = 64 * 1024;
const MESSAGE = 64 * 1024;
const CHANNEL_BUFFER = 8;
/** Bytes of refused offers the producer throws at the stuck session. */
const REFUSED_BYTES = pick(64, 256) * 1024 * 1024;
/**
 * RSS may grow by at most this while the producer keeps trying. The offers
 * reuse a few buffers, so only what the server takes in (a runtime copies
 * what it is handed) can grow it: a quarter of what is tried.
 */
const RSS_TOLERANCE = REFUSED_BYTES / 4;

/** Echo round trips on `client`, in ms. */
async function roundTrips(client: TestClient, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    client.send(`rtt ${i}`);
    assert.equal(await client.next(5000), `rtt ${i}`);
    times.push(performance.now() - started);
  }
  return times;
}

describe(`slow consumer [${ADAPTER}]`, () => {
  const ledger = new SessionLedger();
  /** The response targets of the slow session's messages only. */
  const targets = new SessionLedger();
  const rejections = watchUnhandledRejections();
  const container = createContainer({ logger: ledger.logger });
  let slow: { session: Session; channel: SendChannel } | undefined;
  addEndpoint(container, "/echo", echoEndpoint(ledger));
  addEndpoint(
    container,
    "/slow",
    ledger.wrap({
      idleTimeoutMs: 0,
      onOpen: (session) => {
        const channel = startWsConnection(session, { sendBufferSize: CHANNEL_BUFFER });
        slow = { session, channel };
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

  test("put waits, offer refuses, memory stays bounded, others keep their latency, nothing is lost", { timeout: 120_000 }, async () => {
    const healthy = await connect(`${server.url}/echo`);
    await roundTrips(healthy, 20); // warm up
    const rounds = pick(100, 400);
    const baseline = await roundTrips(healthy, rounds);

    const rssBefore = rssBytes();
    const reader = await openRawWebSocket(`${server.url}/slow`);
    reader.pauseReading();
    await eventually(() => slow !== undefined && slow.session.isOpen, 5000, "the slow session");
    const { session, channel } = slow!;
    const filled = await fillUntilPutWaits(channel, MESSAGE, () => targets.respond());
    assert.notEqual(filled.waiting, null, `put never waited after ${filled.accepted} messages`);
    const stuckAt = Date.now();
    assert.equal(channel.offer(new Uint8Array(MESSAGE)), false, "offer refuses while the buffer is full");
    const held = session.asyncRemote.bufferedAmount;
    assert.ok(held <= HIGH_WATER_MARK + MESSAGE, `the runtime holds ${held} bytes for the session`);
    const rssStuck = rssBytes();

    // The producer keeps trying: every offer is refused, the waiting put stays waiting.
    let refused = 0;
    const offers = [0, 1, 2, 3].map(() => new Uint8Array(MESSAGE));
    for (let tried = 0; tried < REFUSED_BYTES; tried += MESSAGE) {
      if (!channel.offer(offers[refused % offers.length]!)) refused++;
      if (refused % 16 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
    assert.equal(refused, REFUSED_BYTES / MESSAGE, "every offer was refused");
    assert.equal(await settlesWithin(filled.waiting!, 200), false, "the put still waits");
    const heldLater = session.asyncRemote.bufferedAmount;
    assert.ok(heldLater <= HIGH_WATER_MARK + MESSAGE, `the runtime holds ${heldLater} bytes for the session`);

    const stuck = await roundTrips(healthy, rounds);
    const rssAfter = rssBytes();
    const base50 = quantile(baseline, 0.5);
    const stuck50 = quantile(stuck, 0.5);
    const base95 = quantile(baseline, 0.95);
    const stuck95 = quantile(stuck, 0.95);

    // The client reads again: every message accepted so far, then the waiting one, in order.
    reader.resumeReading();
    assert.equal(await settlesWithin(filled.waiting!, 30_000), true, "the waiting put went in");
    const expected = filled.accepted + 1;
    for (let seq = 0; seq < expected; seq++) {
      const message = await reader.nextMessage(30_000);
      assert.equal(message?.type, "binary", `message ${seq}`);
      assert.equal(message.type === "binary" ? seqOf(message.data) : -1, seq, "in order, none lost");
    }
    channel.close();
    const close = await reader.waitForClose(10_000);
    assert.equal(close.code, 1000);
    reader.sendClose(1000);
    await session.closed;
    await eventually(() => targets.targetsAnswered === targets.targetsIssued, 5000, "every target answered");
    assert.deepEqual(targets.results, { success: expected }, "every message reported success");
    healthy.close(1000);
    await healthy.closed;
    await eventually(() => ledger.closed === 2, 5000, "both sessions closed");
    await settleRejections();

    recordResult({
      fault: "slow consumer",
      numbers: {
        accepted: filled.accepted,
        acceptedMiB: mib(filled.accepted * MESSAGE),
        heldBytes: held,
        refusedOffersMiB: mib(refused * MESSAGE),
        rssBeforeMiB: mib(rssBefore),
        rssStuckMiB: mib(rssStuck),
        rssAfterMiB: mib(rssAfter),
        rttBaseP50ms: Math.round(base50 * 100) / 100,
        rttStuckP50ms: Math.round(stuck50 * 100) / 100,
        rttBaseP95ms: Math.round(base95 * 100) / 100,
        rttStuckP95ms: Math.round(stuck95 * 100) / 100,
        stuckForMs: Date.now() - stuckAt,
      },
    });
    assert.ok(
      rssAfter - rssStuck <= RSS_TOLERANCE,
      `RSS grew ${mib(rssAfter - rssStuck)} MiB while ${mib(refused * MESSAGE)} MiB of offers were refused`,
    );
    assert.ok(stuck50 <= base50 * 3 + 5, `echo p50 ${stuck50.toFixed(2)} ms with a stuck client, ${base50.toFixed(2)} ms before`);
    assert.deepEqual(ledger.faults(), []);
    assert.deepEqual(targets.faults(), []);
    assert.deepEqual(rejections.seen, []);
  });
});
