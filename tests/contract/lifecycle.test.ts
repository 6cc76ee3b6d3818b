import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, CloseReason, createContainer } from "../../mod.ts";
import type { EndpointMap, PlinthServer, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually, sleep } from "../support/client.ts";
import { clientFrame, openRawWebSocket } from "../support/raw_socket.ts";
import { ADAPTER } from "../support/runtime.ts";

describe(`lifecycle [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const log: string[] = [];
  const logged: string[] = [];
  const container = createContainer({ logger: { error: (msg) => void logged.push(msg) } });
  const kept: Uint8Array[] = [];

  const recorder = (name: string, extra: Partial<EndpointMap<Session>> = {}): EndpointMap<Session> => ({
    onOpen: (session) => {
      log.push(`${name} open`);
      return session;
    },
    onText: (session, text) => {
      log.push(`${name} text ${text}`);
      if (text === "close-4002") session.close(new CloseReason(4002, "server says bye"));
      if (text === "close") session.close();
    },
    onBinary: (_session, data) => {
      log.push(`${name} binary ${data.constructor.name} ${[...data].join(",")}`);
      kept.push(data);
    },
    onClose: (_session, _s, reason) => void log.push(`${name} close ${reason.code} ${reason.reasonPhrase}`),
    onError: (_session, _s, error) => void log.push(`${name} error ${(error as Error).message}`),
    ...extra,
  });

  addEndpoint(container, "/basic", recorder("basic"));
  addEndpoint(
    container,
    "/slow-open",
    recorder("slow", {
      onOpen: async (session) => {
        log.push("slow open start");
        await sleep(80);
        log.push("slow open end");
        return session;
      },
    }),
  );
  addEndpoint(
    container,
    "/throws",
    recorder("throws", {
      onText: (_s, text) => {
        if (text === "sync") throw new Error("secret detail");
        return Promise.reject(new Error("async secret"));
      },
    }),
  );
  addEndpoint(
    container,
    "/open-throws",
    recorder("open-throws", {
      onOpen: () => {
        throw new Error("open failed");
      },
      onClose: (sessionObject, _s, reason) => void log.push(`open-throws close ${String(sessionObject)} ${reason.code}`),
      onError: (sessionObject, _s, error) =>
        void log.push(`open-throws error ${String(sessionObject)} ${(error as Error).message}`),
    }),
  );
  addEndpoint(
    container,
    "/bad-handlers",
    recorder("bad", {
      onText: () => {
        throw new Error("first");
      },
      onError: () => {
        throw new Error("onError broke");
      },
      onClose: () => Promise.reject(new Error("onClose broke")),
    }),
  );

  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown());

  test("messages arrive whole, in order; binary is a Uint8Array the callback may keep", async () => {
    log.length = 0;
    kept.length = 0;
    const client = await connect(`${server.url}/basic`);
    for (let i = 0; i < 20; i++) client.send(`m${i}`);
    client.send(new Uint8Array([1, 2, 3]));
    client.send(new Uint8Array([4, 5]));
    client.close(4000, "done");
    await eventually(() => log.includes("basic close 4000 done"));
    assert.deepEqual(log, [
      "basic open",
      ...Array.from({ length: 20 }, (_, i) => `basic text m${i}`),
      "basic binary Uint8Array 1,2,3",
      "basic binary Uint8Array 4,5",
      "basic close 4000 done",
    ]);
    assert.deepEqual(kept.map((data) => [...data]), [[1, 2, 3], [4, 5]]);
  });

  test("messages sent while an async onOpen runs are delivered after it, in order", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/slow-open`);
    client.send("a");
    client.send("b");
    client.send(new Uint8Array([9]));
    client.send("c");
    await eventually(() => log.includes("slow text c"));
    assert.deepEqual(log, [
      "slow open start",
      "slow open end",
      "slow text a",
      "slow text b",
      "slow binary Uint8Array 9",
      "slow text c",
    ]);
    client.close(1000);
    await eventually(() => log.includes("slow close 1000 "));
  });

  test("a client that closes while onOpen runs still gets its messages, then one onClose", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/slow-open`);
    client.send("early");
    client.close(4001, "impatient");
    await eventually(() => log.some((line) => line.startsWith("slow close")));
    await sleep(50);
    assert.deepEqual(log, ["slow open start", "slow open end", "slow text early", "slow close 4001 impatient"]);
  });

  test("server close: the client and onClose see the server's code and reason; no argument means 1000", async () => {
    log.length = 0;
    const a = await connect(`${server.url}/basic`);
    a.send("close-4002");
    assert.deepEqual(await a.closed, { code: 4002, reason: "server says bye" });
    const b = await connect(`${server.url}/basic`);
    b.send("close");
    assert.deepEqual(await b.closed, { code: 1000, reason: "" });
    await eventually(() => log.filter((line) => line.includes("close 10") || line.includes("close 40")).length === 2);
    assert.ok(log.includes("basic close 4002 server says bye"));
    assert.ok(log.includes("basic close 1000 "));
  });

  test("a dropped TCP connection closes the session with 1006, once", async () => {
    log.length = 0;
    const socket = await openRawWebSocket(`${server.url}/basic`);
    socket.write(clientFrame(1, "before drop"));
    await eventually(() => log.includes("basic text before drop"));
    socket.destroy();
    await eventually(() => log.some((line) => line.startsWith("basic close")));
    await sleep(50);
    assert.deepEqual(log, ["basic open", "basic text before drop", "basic close 1006 "]);
  });

  test("a callback that throws: onError, then 1011 with a generic reason", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/throws`);
    client.send("sync");
    const close = await client.closed;
    assert.equal(close.code, 1011);
    assert.ok(!close.reason.includes("secret"), `reason leaked: ${close.reason}`);
    await eventually(() => log.some((line) => line.startsWith("throws close")));
    assert.deepEqual(log, ["throws open", "throws error secret detail", `throws close 1011 ${close.reason}`]);
  });

  test("a callback that rejects: onError, then 1011", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/throws`);
    client.send("async");
    const close = await client.closed;
    assert.equal(close.code, 1011);
    assert.ok(!close.reason.includes("secret"));
    await eventually(() => log.some((line) => line.startsWith("throws close")));
    assert.deepEqual(log, ["throws open", "throws error async secret", `throws close 1011 ${close.reason}`]);
  });

  test("onOpen that throws: onError with session object undefined, 1011, onClose once", async () => {
    log.length = 0;
    const client = await connect(`${server.url}/open-throws`).catch(() => null);
    if (client !== null) assert.equal((await client.closed).code, 1011);
    await eventually(() => log.some((line) => line.startsWith("open-throws close")));
    await sleep(30);
    assert.deepEqual(log, ["open-throws error undefined open failed", "open-throws close undefined 1011"]);
  });

  test("errors thrown by onError and onClose go to the logger and harm nothing", async () => {
    logged.length = 0;
    const client = await connect(`${server.url}/bad-handlers`);
    client.send("boom");
    assert.equal((await client.closed).code, 1011);
    await eventually(() => logged.length >= 2);
    assert.ok(logged.some((msg) => msg.includes("onError")), logged.join("; "));
    assert.ok(logged.some((msg) => msg.includes("onClose")), logged.join("; "));
    const other = await connect(`${server.url}/basic`);
    other.send("still alive");
    other.close(1000);
    await other.closed;
  });
});
