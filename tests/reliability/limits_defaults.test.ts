/**
 * Limits with safe defaults: text and binary messages of 1 MiB pass and one
 * byte more closes with 1009 when nothing is configured; `maxSessions`
 * answers 503 at the handshake when full; a throwing callback's message
 * never reaches the client.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, onOpenStartWsConnection } from "../../mod.ts";
import type { PlinthServer } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually } from "../support/client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";
import { ADAPTER } from "../support/runtime.ts";
import { echoEndpoint } from "./echo_endpoint.ts";
import { recordResult } from "./scale.ts";
import { SessionLedger } from "./session_ledger.ts";

const MiB = 1024 * 1024;
const SECRET = "secret-db-password-in-error-text";

describe(`limits with safe defaults [${ADAPTER}]`, () => {
  const ledger = new SessionLedger();
  const container = createContainer({ logger: ledger.logger });
  addEndpoint(container, "/echo", echoEndpoint(ledger));
  addEndpoint(container, "/full", echoEndpoint(ledger, { settings: { maxSessions: 2 } }));
  const thrown: string[] = [];
  addEndpoint(container, "/throws", {
    onOpen: onOpenStartWsConnection(),
    onText: (_channel, text) => {
      if (text === "sync") throw new Error(SECRET);
      return Promise.reject(new Error(SECRET));
    },
    onBinary: () => {
      throw new TypeError(SECRET);
    },
    onError: (_channel, _session, error) => void thrown.push((error as Error).message),
  });
  addEndpoint(container, "/open-throws", {
    onOpen: () => {
      throw new Error(SECRET);
    },
    onError: (_o, _session, error) => void thrown.push((error as Error).message),
  });
  let server: PlinthServer;
  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown({ timeoutMs: 1000 }));

  test("1 MiB of text (UTF-8 bytes) and of binary pass by default; one byte more closes with 1009", { timeout: 30_000 }, async () => {
    const client = await connect(`${server.url}/echo`);
    const text = "é".repeat(MiB / 2); // 1 MiB in UTF-8, half that in UTF-16 units
    client.send(text);
    assert.equal(await client.next(10_000), text);
    const binary = new Uint8Array(MiB).fill(9);
    client.send(binary);
    const echoed = await client.next(10_000);
    assert.ok(echoed instanceof Uint8Array && echoed.byteLength === MiB);
    client.send(text + "a");
    const close = await client.closed;
    assert.equal(close.code, 1009);

    const client2 = await connect(`${server.url}/echo`);
    client2.send(new Uint8Array(MiB + 1));
    assert.equal((await client2.closed).code, 1009);
    recordResult({ fault: "limits", numbers: { textLimit: MiB, binaryLimit: MiB, overLimitClose: close.code } });
  });

  test("maxSessions: the handshake beyond it gets 503, and a freed slot is usable again", { timeout: 30_000 }, async () => {
    const a = await connect(`${server.url}/full`);
    const b = await connect(`${server.url}/full`);
    const refused = await rawRequest(`${server.url}/full`, { headers: upgradeHeaders() });
    assert.equal(refused.status, 503);
    a.close(1000);
    await a.closed;
    const sessions = () => ledger.closed;
    const before = sessions();
    await eventually(() => sessions() > before || sessions() >= 1, 5000, "the slot to free");
    const c = await connect(`${server.url}/full`);
    b.close(1000);
    c.close(1000);
    await Promise.all([b.closed, c.closed]);
  });

  test("a throwing callback's message never reaches the client: 1011 with a generic reason", { timeout: 30_000 }, async () => {
    const reasons: string[] = [];
    for (const send of ["sync", "async", new Uint8Array([1])] as const) {
      const client = await connect(`${server.url}/throws`);
      client.send(send);
      const close = await client.closed;
      assert.equal(close.code, 1011);
      reasons.push(close.reason);
    }
    const opened = await connect(`${server.url}/open-throws`).then(
      async (client) => (await client.closed).reason,
      (error: Error) => error.message,
    );
    reasons.push(opened);
    assert.equal(thrown.length, 4, "onError saw every error");
    for (const reason of reasons) assert.ok(!reason.includes(SECRET), `close reason ${JSON.stringify(reason)}`);
    assert.ok(reasons.slice(0, 3).every((reason) => reason === "Internal Error"), JSON.stringify(reasons));
  });
});
