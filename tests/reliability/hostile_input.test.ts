/**
 * Hostile input over raw TCP against a plinth server: seeded hostile cases
 * (30 families: broken handshakes, protocol violations, floods, garbage,
 * hang-ups) against an echo endpoint built on the public API. Afterwards a
 * well-behaved client is still served, every session whose `onOpen` ran got
 * exactly one `onClose`, every echo's response target one result, nothing
 * went to `onError` or the logger, and `openSessions` is empty. What a
 * runtime rejects before plinth sees it never opens a session. Every case is
 * also run against the runtime's own plain echo server: an outcome the fault
 * tools call unexpected counts against plinth only where the plain server of
 * the same runtime handled that case as the protocol says (the rest are the
 * runtime's own HTTP and WebSocket quirks, listed in the result). A client
 * that closes while its echoes still wait on backpressure gets fewer echoes
 * than from a plain server that never waits: those messages are answered
 * "closed", as the contract says, and are counted as `endedBeforeEchoes`.
 * `HOSTILE_SEED` / `HOSTILE_CASES` override the seed and the count.
 * @module
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { eventually } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";
import { generateHostileCases, HOSTILE_FAMILIES, runHostileCases } from "../faults/hostile.ts";
import { openRawWebSocket } from "../faults/raw_client.ts";
import { startPlainEchoServer } from "../faults/plain_server.ts";
import { echoEndpoint } from "./echo_endpoint.ts";
import { mib, rssBytes, settleRejections, watchUnhandledRejections } from "./process_watch.ts";
import { envNumber, pick, recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

const SEED = envNumber("HOSTILE_SEED", 0x5eed);
const COUNT = envNumber("HOSTILE_CASES", pick(300, 10_000));
/** Case variants with a known adapter issue: counted apart, not as plinth faults. None are open. */
const KNOWN_ISSUES: Record<string, readonly string[]> = {};
const known = (family: string, variant: string): boolean => KNOWN_ISSUES[ADAPTER]?.includes(`${family}:${variant}`) ?? false;

/** Close codes a session may report: RFC 6455's, plus the ones plinth closes with. */
const REPORTABLE = new Set([1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011]);

test(`${COUNT} hostile cases against a plinth echo endpoint (seed ${SEED}) [${ADAPTER}]`, { timeout: 30 * 60_000 }, async () => {
  const ledger = new SessionLedger();
  const rejections = watchUnhandledRejections();
  const container = createContainer({ logger: ledger.logger });
  let anySession: Session | undefined;
  const endpoint = echoEndpoint(ledger); // default limits (1 MiB): the cases' valid messages are all smaller
  addEndpoint(container, "/ws", {
    ...endpoint,
    onOpen: (session, config) => {
      anySession ??= session;
      return endpoint.onOpen!(session, config);
    },
  });
  const server = await serveWith(container);
  try {
    const rssBefore = rssBytes();
    const cases = generateHostileCases(SEED, COUNT);
    const summary = await runHostileCases(`${server.url.replace(/^http/, "ws")}/ws`, cases, { concurrency: 32, timeoutMs: 1000, keepResults: true });
    const rssAfter = rssBytes();
    // Closing handshakes the hostile clients never answered end within the 5 s close timeout.
    await eventually(() => ledger.closed === ledger.opened, 15_000, `${ledger.opened} onClose calls, have ${ledger.closed}`);

    const ws = await openRawWebSocket(`${server.url}/ws`);
    ws.sendText("still here 𝄞");
    assert.deepEqual(await ws.nextMessage(), { type: "text", text: "still here 𝄞", data: new TextEncoder().encode("still here 𝄞") });
    ws.sendBinary(Uint8Array.of(0, 1, 255));
    assert.deepEqual(await ws.nextMessage(), { type: "binary", data: Uint8Array.of(0, 1, 255) });
    assert.equal((await ws.close(1000, "done")).code, 1000);
    await eventually(() => ledger.closed === ledger.opened, 5000, "the last session's onClose");
    await settleRejections();

    const codes = ledger.closeCodes();
    // The same cases against the runtime's own plain echo server tell plinth's faults from the runtime's.
    const plain = await startPlainEchoServer({ maxLifetimeMs: 30 * 60_000 });
    let baseline;
    try {
      baseline = await runHostileCases(plain.url, cases, { concurrency: 32, timeoutMs: 1000, keepResults: true });
    } finally {
      await plain.close();
    }
    const plainUnexpected = new Set(baseline.results!.filter((r) => r.unexpected !== undefined).map((r) => r.index));
    // The client closed while echoes still waited on backpressure: the session ended, and the contract
    // answers those messages "closed" (the ledger checks every target got its one result). Deno, whose
    // writes flush after the tick, shows this where a plain server that never waits echoes everything.
    const closedBeforeEcho = (r: { outcome: string; unexpected?: string }): boolean =>
      r.outcome === "close:1000" && (r.unexpected?.startsWith("echoed ") ?? false);
    const endedBeforeEchoes = summary.results!.filter((r) => !plainUnexpected.has(r.index) && closedBeforeEcho(r)).length;
    const plinthFaults = summary.results!.filter((r) =>
      r.unexpected !== undefined && !plainUnexpected.has(r.index) && !known(r.family, r.variant) && !closedBeforeEcho(r)
    );
    const knownIssues = summary.results!.filter((r) =>
      r.unexpected !== undefined && !plainUnexpected.has(r.index) && known(r.family, r.variant)
    ).length;
    const runtimeQuirks: Record<string, number> = {};
    for (const r of summary.results!) {
      if (r.unexpected === undefined || !plainUnexpected.has(r.index)) continue;
      const key = `${r.family}:${r.variant} ${r.outcome}`;
      runtimeQuirks[key] = (runtimeQuirks[key] ?? 0) + 1;
    }
    const context = JSON.stringify({ seed: SEED, codes, byOutcome: summary.byOutcome, plinthFaults: plinthFaults.slice(0, 5) }, null, 1);
    recordResult({
      fault: "hostile input",
      numbers: {
        seed: SEED,
        cases: summary.casesRun,
        sessionsOpened: ledger.opened,
        echoes: summary.messagesReceived,
        plinthFaults: plinthFaults.length,
        knownIssues,
        endedBeforeEchoes,
        runtimeQuirks: Object.values(runtimeQuirks).reduce((a, b) => a + b, 0),
        runtimeQuirkKinds: JSON.stringify(runtimeQuirks),
        durationMs: summary.durationMs,
        rssBeforeMiB: mib(rssBefore),
        rssAfterMiB: mib(rssAfter),
        closeCodes: JSON.stringify(codes),
      },
    });
    assert.equal(summary.casesRun, COUNT);
    if (COUNT >= HOSTILE_FAMILIES.length) {
      for (const family of HOSTILE_FAMILIES) assert.ok((summary.byFamily[family] ?? 0) > 0, `family ${family} ran`);
    }
    assert.equal(summary.byOutcome.connect_error ?? 0, 0, `the server stayed up\n${context}`);
    assert.equal(plinthFaults.length, 0, `plinth handled every case its runtime's plain server handled\n${context}`);
    assert.ok(ledger.opened > 0 && summary.messagesReceived > 0, "sessions opened and echoed");
    for (const code of Object.keys(codes)) assert.ok(REPORTABLE.has(Number(code)), `onClose reported ${code}\n${context}`);
    assert.deepEqual(ledger.faults(), [], "one onClose per onOpen, one result per target, no errors");
    assert.equal(anySession?.openSessions.size ?? 0, 0, "openSessions is empty");
    assert.deepEqual(rejections.seen, []);
  } finally {
    // Bounded: a connection the runtime left unanswered must not hang the test (see KNOWN_ISSUES).
    await Promise.race([server.shutdown({ timeoutMs: 1000 }), new Promise((resolve) => setTimeout(resolve, 5000))]);
    rejections.stop();
  }
});
