/**
 * The client side of the cross-runtime comparison: a fixed script of
 * handshakes and messages over raw TCP, recording what a client observes —
 * statuses, the headers that matter, bodies, messages in order, close codes
 * and reasons — as lines of text that must be identical on every adapter.
 * @module
 */
import { openRawWebSocket, RawHandshakeError } from "../faults/raw_client.ts";
import type { RawOpenOptions, RawWebSocket } from "../faults/raw_client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";

/** Headers whose presence and value a client can rely on. */
const OBSERVED_HEADERS = ["upgrade", "connection", "sec-websocket-protocol", "www-authenticate", "x-welcome"];

type Line = string;

async function handshake(url: string, options: RawOpenOptions = {}): Promise<{ ws: RawWebSocket | null; lines: Line[] }> {
  try {
    const ws = await openRawWebSocket(url, options);
    const lines = [`101 ${observed((name) => ws.headers.get(name))}`];
    return { ws, lines };
  } catch (error) {
    if (!(error instanceof RawHandshakeError)) throw error;
    // A refused upgrade's own framing headers are left out: Node answers it with `Connection: close`
    // (node-server hands the socket over for the upgrade), Deno and Bun keep the connection alive.
    const get = (name: string) => (name === "connection" ? undefined : error.headers.get(name));
    const lines = [`${error.status} ${observed(get)} body=${JSON.stringify(error.bodyText)}`];
    return { ws: null, lines };
  }
}

function observed(get: (name: string) => string | undefined | null): string {
  return OBSERVED_HEADERS.map((name) => `${name}=${JSON.stringify((get(name) ?? "").toLowerCase())}`).join(" ");
}

async function messages(ws: RawWebSocket, count: number): Promise<Line[]> {
  const lines: Line[] = [];
  for (let i = 0; i < count; i++) {
    const message = await ws.nextMessage(3000);
    if (message === null) lines.push("end");
    else if (message.type === "text") lines.push(`text ${JSON.stringify(message.text)}`);
    else if (message.type === "binary") lines.push(`binary [${[...message.data].join(",")}]`);
    else lines.push(`close ${message.code} ${JSON.stringify(message.reason)}`);
  }
  return lines;
}

/** Runs every scenario against `origin` (`http://127.0.0.1:PORT`) and returns the transcript. */
export async function transcript(origin: string): Promise<Line[]> {
  const ws = (path: string) => `${origin.replace(/^http/, "ws")}${path}`;
  const out: Line[] = [];
  const scenario = async (name: string, run: () => Promise<Line[]>) => {
    out.push(`# ${name}`);
    out.push(...(await run()));
  };

  await scenario("echo, in order, text and binary", async () => {
    const { ws: socket, lines } = await handshake(ws("/echo"));
    socket!.sendText("one");
    socket!.sendBinary(new Uint8Array([1, 2, 3]));
    socket!.sendText("two");
    socket!.sendText("close-me");
    return [...lines, ...(await messages(socket!, 4))];
  });
  await scenario("client close code and reason are echoed", async () => {
    const { ws: socket, lines } = await handshake(ws("/echo"));
    const closed = await socket!.close(4321, "bye");
    return [...lines, `close ${closed.code} ${JSON.stringify(closed.reason)}`];
  });
  await scenario("path parameters, decoded", async () => {
    const { ws: socket, lines } = await handshake(ws("/rooms/caf%C3%A9%20au%20lait"));
    return [...lines, ...(await messages(socket!, 1))];
  });
  for (const offer of [["v1", "v2"], ["x", "v2", "v3"], ["x", "y"]]) {
    await scenario(`subprotocol offer ${offer.join(",")}`, async () => {
      const { ws: socket, lines } = await handshake(ws("/proto"), { protocols: offer });
      await socket?.close(1000, "");
      return lines;
    });
  }
  await scenario("a throwing callback: 1011, generic reason", async () => {
    const { ws: socket, lines } = await handshake(ws("/throws"));
    socket!.sendText("boom");
    return [...lines, ...(await messages(socket!, 1))];
  });
  await scenario("limits: exactly the limit passes, one byte over is 1009", async () => {
    const { ws: socket, lines } = await handshake(ws("/small"));
    socket!.sendText("éééé");
    socket!.sendBinary(new Uint8Array([9, 9, 9, 9]));
    socket!.sendText("éééé1");
    return [...lines, ...(await messages(socket!, 3))];
  });
  await scenario("binary over the limit is 1009", async () => {
    const { ws: socket, lines } = await handshake(ws("/small"));
    socket!.sendBinary(new Uint8Array(5));
    return [...lines, ...(await messages(socket!, 1))];
  });
  await scenario("idle timeout", async () => {
    const { ws: socket, lines } = await handshake(ws("/idle"));
    return [...lines, ...(await messages(socket!, 1))];
  });
  await scenario("modifyHandshake refusal, intact", async () => {
    return (await handshake(ws("/auth"))).lines;
  });
  await scenario("modifyHandshake headers on the 101", async () => {
    const { ws: socket, lines } = await handshake(ws("/auth"), { headers: [["Authorization", "Bearer ok"]] });
    await socket?.close(1000, "");
    return lines;
  });
  await scenario("checkOrigin false", async () => {
    return (await handshake(ws("/auth"), { origin: "https://evil.example", headers: [["Authorization", "Bearer ok"]] }))
      .lines;
  });
  await scenario("maxSessions", async () => {
    const first = await handshake(ws("/full"));
    const second = await handshake(ws("/full"));
    await first.ws?.close(1000, "");
    return [...first.lines, ...second.lines];
  });
  // Orderings: what the client sees, then the server's callbacks in the order they ran.
  const events = async (key: string): Promise<Line[]> => {
    const deadline = Date.now() + 5000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = JSON.parse((await rawRequest(`${origin}/events?log=${encodeURIComponent(key)}`)).body);
      if (lines.some((line) => line.startsWith("onClose"))) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // events after onClose (closed, shutdown done)
    lines = JSON.parse((await rawRequest(`${origin}/events?log=${encodeURIComponent(key)}`)).body);
    return lines.map((line) => `server: ${line}`);
  };
  const untilClose = async (socket: RawWebSocket): Promise<Line[]> => {
    const lines: Line[] = [];
    for (;;) {
      const [line] = await messages(socket, 1);
      lines.push(line!);
      if (line!.startsWith("close ")) {
        const [, code, reason] = /^close (\d+) (.*)$/.exec(line!)!;
        socket.sendClose(Number(code), JSON.parse(reason!));
        return lines;
      }
      if (line === "end") return lines;
    }
  };
  for (const [name, path, sends] of [
    ["close() inside onOpen", "/order/close-in-open", false],
    ["close() inside onOpen after an await", "/order/close-in-open-after-await", false],
    ["close() inside onText after a send", "/order/close-in-text", true],
    ["close() twice with different codes", "/order/close-twice", true],
    ["close() inside onClose", "/order/close-in-close", true],
  ] as const) {
    await scenario(name, async () => {
      const { ws: socket, lines } = await handshake(ws(`${path}?log=${path}`));
      if (sends) socket!.sendText("a");
      const seen = await untilClose(socket!);
      socket!.destroy();
      return [...lines, ...seen, ...(await events(path))];
    });
  }
  await scenario("a flood while an async onOpen runs: 1008", async () => {
    const { ws: socket, lines } = await handshake(ws("/slow-open?log=flood"));
    const chunk = "x".repeat(8 * 1024);
    // 12 messages fit the 100 000-byte bound (8 KiB + 64 each); the 13th, the last sent, crosses it.
    // (Deno drops the connection without a close frame when a client goes on sending after the
    // server's close: docs/reliability.md.)
    for (let i = 0; i < 13; i++) socket!.sendText(chunk);
    const seen = await untilClose(socket!);
    socket!.destroy();
    return [...lines, ...seen, ...(await events("flood"))];
  });
  await scenario("shutdown() while a handshake is in flight", async () => {
    const port = (await rawRequest(`${origin}/spawn-shutdown`)).body;
    const { ws: socket, lines } = await handshake(`ws://127.0.0.1:${port}/in-flight?log=shutdown`);
    const seen = await untilClose(socket!);
    socket!.destroy();
    return [...lines, ...seen, ...(await events("shutdown"))];
  });
  await scenario("a dead peer under a heartbeat (server side)", async () => {
    // The peer stops answering pings: what it would read does not matter, the server's events do.
    const { ws: socket, lines } = await handshake(ws("/beat?log=beat"), { autoPong: false });
    const seen = await events("beat");
    socket!.destroy();
    return [...lines, ...seen];
  });
  await scenario("plain request to an endpoint: 426", async () => {
    const response = await rawRequest(`${origin}/echo`);
    return [`${response.status} upgrade=${JSON.stringify(response.headers.get("upgrade"))}`];
  });
  await scenario("no endpoint: the fallback", async () => {
    const response = await rawRequest(`${origin}/elsewhere`, { headers: upgradeHeaders() });
    return [`${response.status} body=${JSON.stringify(response.body)}`];
  });
  return out;
}
