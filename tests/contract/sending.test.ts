import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, startWsConnection, WebSocketSendAsync, wsSendAsync } from "../../mod.ts";
import type { PlinthServer, RemoteEndpoint, SendChannel, SendResult, Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, eventually, sleep } from "../support/client.ts";
import { openRawWebSocket } from "../support/raw_socket.ts";
import { ADAPTER } from "../support/runtime.ts";

class Greeting {
  constructor(readonly name: string) {}
  [WebSocketSendAsync](remote: RemoteEndpoint): Promise<SendResult> {
    return remote.sendText(`hello ${this.name}`);
  }
}

describe(`sending [${ADAPTER}]`, () => {
  let server: PlinthServer;
  let latest: Session | undefined;
  let latestChannel: SendChannel | undefined;
  const container = createContainer();
  addEndpoint(container, "/plain", {
    onOpen: (session) => {
      latest = session;
      return session;
    },
  });
  addEndpoint(container, "/channel", {
    onOpen: (session) => {
      latest = session;
      latestChannel = startWsConnection(session, { sendBufferSize: 4 });
      return latestChannel;
    },
  });

  before(async () => {
    server = await serveWith(container);
  });
  after(() => server.shutdown());

  test("wsSendAsync: text, binary of every kind, self-sending values; other types resolve to a TypeError", async () => {
    const client = await connect(`${server.url}/plain`);
    await eventually(() => latest !== undefined && latest.isOpen);
    const remote = latest!.asyncRemote;
    assert.equal(await wsSendAsync("text", remote), "success");
    assert.equal(await wsSendAsync(new Uint8Array([1, 2]).buffer, remote), "success");
    assert.equal(await wsSendAsync(new Uint8Array([0, 3, 4, 0]).subarray(1, 3), remote), "success");
    assert.equal(await wsSendAsync(new DataView(new Uint8Array([5]).buffer), remote), "success");
    assert.equal(await wsSendAsync(new Blob([new Uint8Array([6, 7])]), remote), "success");
    assert.equal(await wsSendAsync(new Greeting("ann"), remote), "success");
    const wrong = await wsSendAsync(42 as unknown as string, remote);
    assert.ok(wrong instanceof TypeError);
    const received = await client.waitFor(6);
    assert.deepEqual(received.map((m) => (typeof m === "string" ? m : [...m])), [
      "text",
      [1, 2],
      [3, 4],
      [5],
      [6, 7],
      "hello ann",
    ]);
    client.close(1000);
    await latest!.closed;
    assert.equal(await wsSendAsync("late", remote), "closed");
    assert.equal(await remote.sendBinary(new Uint8Array(1)), "closed");
  });

  test("send channel: messages go out in put order; each response target gets one result", async () => {
    const client = await connect(`${server.url}/channel`);
    await eventually(() => latest !== undefined && latest.isOpen);
    const channel = latestChannel!;
    const results: string[] = [];
    const sink = { put: (result: SendResult) => void results.push(`sink ${String(result)}`) };
    const puts: Promise<boolean>[] = [];
    for (let i = 0; i < 30; i++) {
      puts.push(channel.put(i % 3 === 0 ? [`m${i}`, (r) => void results.push(`fn ${String(r)}`)] : `m${i}`));
    }
    puts.push(channel.put([new Uint8Array([1]), sink]));
    puts.push(channel.put([new Blob(["blob"]), sink]));
    puts.push(channel.put(["after blob", null]));
    assert.deepEqual(await Promise.all(puts), puts.map(() => true));
    const received = await client.waitFor(33);
    assert.deepEqual(received.slice(0, 30), Array.from({ length: 30 }, (_, i) => `m${i}`));
    assert.deepEqual([...(received[30] as Uint8Array)], [1]);
    assert.equal(new TextDecoder().decode(received[31] as Uint8Array), "blob");
    assert.equal(received[32], "after blob");
    assert.deepEqual(results, [...Array(10).fill("fn success"), "sink success", "sink success"]);
    client.close(1000);
  });

  test("send channel close(): buffered messages are sent, then the session closes with 1000", async () => {
    const client = await connect(`${server.url}/channel`);
    await eventually(() => latest !== undefined && latest.isOpen);
    const channel = latestChannel!;
    void channel.put("one");
    void channel.put("two");
    channel.close();
    assert.equal(channel.closed, true);
    assert.equal(await channel.put("three"), false);
    assert.equal(channel.offer("four"), false);
    assert.deepEqual(await client.waitFor(2), ["one", "two"]);
    assert.equal((await client.closed).code, 1000);
  });

  test("send channel writable: a ReadableStream pipes into the session", async () => {
    const client = await connect(`${server.url}/channel`);
    await eventually(() => latest !== undefined && latest.isOpen);
    const source = new ReadableStream<string>({
      start(controller) {
        for (const chunk of ["a", "b", "c"]) controller.enqueue(chunk);
        controller.close();
      },
    });
    await source.pipeTo(latestChannel!.writable);
    assert.deepEqual(await client.waitFor(3), ["a", "b", "c"]);
    assert.equal((await client.closed).code, 1000);
  });

  test("backpressure: a client that stops reading makes put wait and offer refuse; every target is answered", async () => {
    latest = undefined;
    const socket = await openRawWebSocket(`${server.url}/channel`);
    socket.pause();
    await eventually(() => latest !== undefined && latest.isOpen);
    const session = latest!;
    const channel = latestChannel!;
    const chunk = "x".repeat(64 * 1024);
    const results: SendResult[] = [];
    let accepted = 0;
    let blocked = false;
    for (let i = 0; i < 2000 && !blocked; i++) {
      const put = channel.put([chunk, (r) => void results.push(r)]);
      const settled = await Promise.race([put.then(() => true), sleep(200).then(() => false)]);
      if (settled) accepted++;
      else blocked = true;
    }
    assert.ok(blocked, "put never waited");
    assert.equal(channel.offer("refused"), false);
    const held = session.asyncRemote.bufferedAmount;
    // The socket holds at most about one high-water mark plus one message more than its kernel buffers.
    assert.ok(accepted < 2000, `accepted ${accepted}`);
    socket.destroy();
    await session.closed;
    await eventually(() => results.length === accepted + 1, 5000, `${accepted + 1} results, have ${results.length}`);
    assert.ok(results.every((r) => r === "success" || r === "closed"));
    assert.equal(results.at(-1), "closed", "the waiting put's target is answered too");
    assert.ok(results.includes("closed"), "buffered messages should report closed");
    assert.ok(held > 64 * 1024 && held <= 64 * 1024 + chunk.length, `runtime holds ${held} bytes`);
  });

  test("after the session ends, buffered messages get \"closed\" and puts return false", async () => {
    const client = await connect(`${server.url}/channel`);
    await eventually(() => latest !== undefined && latest.isOpen);
    const channel = latestChannel!;
    client.close(1000);
    await latest!.closed;
    assert.equal(channel.closed, true);
    const lateResults: SendResult[] = [];
    assert.equal(await channel.put(["late", (r) => void lateResults.push(r)]), false);
    assert.deepEqual(lateResults, ["closed"]);
    assert.equal(channel.offer("late"), false);
  });
});
