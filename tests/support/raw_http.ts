/**
 * Raw HTTP over `node:net`, for handshake tests that need headers a
 * WebSocket client will not send (Origin, odd Upgrade values) and to read
 * refusals byte for byte.
 * @module
 */
import { connect as netConnect } from "node:net";
import { Buffer } from "node:buffer";

/** An HTTP response as read off the wire. */
export interface RawResponse {
  status: number;
  headers: Headers;
  body: string;
  /** The raw head, for byte-level comparisons. */
  head: string;
}

/** A valid WebSocket upgrade's headers, with `extra` added or overriding (null removes). */
export function upgradeHeaders(extra: Record<string, string | null> = {}): Record<string, string> {
  const headers: Record<string, string | null> = {
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) if (value !== null) out[key] = value;
  return out;
}

/**
 * Sends one request and reads the response head (and body, for non-101
 * responses) until the server ends the connection or the body is complete.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(target.port), target.hostname);
    let data: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, options.timeoutMs ?? 3000);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = data.toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) {
        reject(new Error(`no complete response head: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const head = text.slice(0, split);
      const [statusLine, ...lines] = head.split("\r\n");
      const status = Number(statusLine!.split(" ")[1]);
      const headers = new Headers();
      for (const line of lines) {
        const colon = line.indexOf(":");
        if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
      }
      let body: Buffer = data.subarray(Buffer.byteLength(head, "latin1") + 4);
      if (headers.get("transfer-encoding")?.includes("chunked")) body = dechunk(body);
      resolve({ status, headers, body: body.toString("utf8"), head });
    };
    socket.on("connect", () => {
      const headers = { Host: target.host, ...options.headers };
      const lines = [`${options.method ?? "GET"} ${target.pathname}${target.search} HTTP/1.1`];
      for (const [key, value] of Object.entries(headers)) lines.push(`${key}: ${value}`);
      socket.write(lines.join("\r\n") + "\r\n\r\n");
    });
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return;
      const head = text.slice(0, split);
      if (/^HTTP\/1\.1 101/.test(head)) {
        socket.destroy();
        finish();
        return;
      }
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (length && data.length - split - 4 >= Number(length[1])) {
        socket.destroy();
        finish();
      } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head) && text.endsWith("0\r\n\r\n")) {
        socket.destroy();
        finish();
      }
    });
    socket.on("close", finish);
    socket.on("error", () => finish());
  });
}

function dechunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  while (offset < body.length) {
    const lineEnd = body.indexOf("\r\n", offset);
    if (lineEnd < 0) break;
    const size = parseInt(body.subarray(offset, lineEnd).toString("latin1"), 16);
    if (!size) break;
    parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
