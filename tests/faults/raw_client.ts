/**
 * A raw WebSocket client over `node:net` for tests that need control a real
 * client does not give: stop reading so the TCP window fills (slow consumer),
 * drop the connection without a close frame, half-close, go silent, send any
 * frame. `ws://` only.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import {
  buildHandshakeRequest,
  closePayload,
  computeAcceptKey,
  encodeFrame,
  Opcode,
  utf8,
  type FrameSpec,
} from "./frame.ts";
import { closeFrameCode, FrameParser, type ParsedFrame } from "./frame_parser.ts";
import { parseResponseHead } from "./http_response.ts";

export { closeFrameCode };
export type { ParsedFrame };

/** Options for {@link openRawWebSocket}. */
export interface RawOpenOptions {
  /** Sent as `Sec-WebSocket-Protocol`. */
  protocols?: readonly string[];
  origin?: string;
  /** Extra request headers. */
  headers?: readonly (readonly [string, string])[];
  /** Handshake deadline; default 5000 ms. */
  timeoutMs?: number;
  /** Answer pings with pongs automatically (default true). */
  autoPong?: boolean;
  /** Frames declared larger than this end parsing (default 64 MiB). */
  maxFrameBytes?: number;
}

/** The server answered the upgrade with something other than a valid 101. */
export class RawHandshakeError extends Error {
  override readonly name = "RawHandshakeError";
  /** HTTP status (0 when the connection ended before a response head). */
  readonly status: number;
  readonly headers: Map<string, string>;
  /** Bytes after the response head that had arrived (start of the body). */
  readonly body: Uint8Array;

  constructor(message: string, status: number, headers: Map<string, string>, body: Uint8Array) {
    super(message);
    this.status = status;
    this.headers = headers;
    this.body = body;
  }

  /** The body received so far, as text. */
  get bodyText(): string {
    return new TextDecoder().decode(this.body);
  }
}

/** A complete message, or the close frame that ended the stream. */
export type RawMessage =
  | { type: "text"; text: string; data: Uint8Array }
  | { type: "binary"; data: Uint8Array }
  | { type: "close"; code: number; reason: string };

/** What {@link RawWebSocket.waitForClose} saw. */
export interface RawCloseResult {
  /** Code of the server's close frame (1005 if it had no payload), or null if none came. */
  code: number | null;
  reason: string;
  /** Whether the TCP connection had ended by the time this resolved. */
  tcpClosed: boolean;
}

/** An open raw WebSocket connection (handshake done). */
export interface RawWebSocket {
  /** The underlying socket, for anything not covered here. */
  readonly socket: Socket;
  /** Response headers of the 101 (lower-case names). */
  readonly headers: Map<string, string>;
  /** The negotiated subprotocol, `""` when none. */
  readonly protocol: string;
  /** Every frame received so far, in order (including those already consumed). */
  readonly frames: readonly ParsedFrame[];
  /** True once the TCP connection has closed. */
  readonly ended: boolean;
  /** Resolves when the TCP connection has closed (never rejects). */
  readonly tcpClosed: Promise<void>;
  /** Writes one frame built from `spec` (masked unless `spec.mask === false`). Returns `socket.write`'s result. */
  sendFrame(spec: FrameSpec): boolean;
  /** Writes raw bytes. */
  sendRaw(bytes: Uint8Array): boolean;
  sendText(text: string): boolean;
  sendBinary(data: Uint8Array): boolean;
  ping(payload?: Uint8Array | string): boolean;
  pong(payload?: Uint8Array | string): boolean;
  /** Sends a close frame (no payload when `code` is undefined); does not wait. */
  sendClose(code?: number, reason?: string | Uint8Array): boolean;
  /** Next unread frame; null once the connection has ended and nothing is left. Rejects on timeout (default 5000 ms). */
  nextFrame(timeoutMs?: number): Promise<ParsedFrame | null>;
  /** Next whole message (fragments joined; pings/pongs skipped), or the close frame; null at end of stream. */
  nextMessage(timeoutMs?: number): Promise<RawMessage | null>;
  /** Reads (and drops) frames until a close frame arrives or the connection ends; resolves null-code on timeout. */
  waitForClose(timeoutMs?: number): Promise<RawCloseResult>;
  /** Polite close: sends a close frame, waits for the server's close and the TCP end, then destroys. */
  close(code?: number, reason?: string, timeoutMs?: number): Promise<RawCloseResult>;
  /** Stops reading from the socket (`socket.pause()`): the kernel buffers fill and the server's sends back up. */
  pauseReading(): void;
  /** Resumes reading after {@link pauseReading}. */
  resumeReading(): void;
  /** Drops the connection at once, no close frame (the server should see 1006). */
  destroy(): void;
  /** Half-closes: sends TCP FIN (`socket.end()`) without a close frame; still reads. */
  endWithoutClose(): void;
  /** Stops responding entirely: no more reads, no pongs, no writes; the socket stays open. */
  goSilent(): void;
}

interface Waiter {
  resolve(frame: ParsedFrame | null): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/** Splits a `ws://host:port/path?query` URL into connection parts. */
export function parseWsUrl(url: string | URL): { host: string; port: number; hostHeader: string; path: string } {
  const u = typeof url === "string" ? new URL(url) : url;
  if (u.protocol !== "ws:" && u.protocol !== "http:") throw new TypeError(`only ws:// URLs are supported: ${u.href}`);
  const host = u.hostname.startsWith("[") ? u.hostname.slice(1, -1) : u.hostname;
  return { host, port: u.port === "" ? 80 : Number(u.port), hostHeader: u.host, path: `${u.pathname || "/"}${u.search}` };
}

/**
 * Connects to `url`, performs a real upgrade handshake and checks
 * `Sec-WebSocket-Accept`. Rejects with {@link RawHandshakeError} when the
 * server does not answer 101 with the right accept value, or with the socket
 * error when the connection fails.
 */
export function openRawWebSocket(url: string | URL, options: RawOpenOptions = {}): Promise<RawWebSocket> {
  const target = parseWsUrl(url);
  const request = buildHandshakeRequest({
    host: target.hostHeader,
    path: target.path,
    ...(options.protocols ? { protocols: options.protocols } : {}),
    ...(options.origin !== undefined ? { origin: options.origin } : {}),
    ...(options.headers ? { extraHeaders: options.headers } : {}),
  });
  return new Promise<RawWebSocket>((resolve, reject) => {
    const socket = connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    let received = new Uint8Array(0);
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new RawHandshakeError("handshake timed out", 0, new Map(), received)),
      options.timeoutMs ?? 5000,
    );
    const onData = (chunk: Uint8Array): void => {
      const joined = new Uint8Array(received.length + chunk.length);
      joined.set(received, 0);
      joined.set(chunk, received.length);
      received = joined;
      const head = parseResponseHead(received);
      if (head === null) return;
      const rest = received.slice(head.length);
      if (head.status !== 101) {
        fail(new RawHandshakeError(`server answered ${head.status} ${head.statusText}`, head.status, head.headers, rest));
        return;
      }
      const accept = head.headers.get("sec-websocket-accept");
      if (request.key === null || accept !== computeAcceptKey(request.key)) {
        fail(new RawHandshakeError(`bad Sec-WebSocket-Accept: ${accept}`, 101, head.headers, rest));
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onEarlyError);
      socket.off("close", onEarlyClose);
      resolve(createRawWebSocket(socket, head.headers, rest, options));
    };
    const onEarlyError = (error: Error): void => fail(error);
    const onEarlyClose = (): void =>
      fail(new RawHandshakeError("connection closed during handshake", 0, new Map(), received));
    socket.on("data", onData);
    socket.on("error", onEarlyError);
    socket.on("close", onEarlyClose);
    socket.on("connect", () => socket.write(request.bytes));
  });
}

function createRawWebSocket(
  socket: Socket,
  headers: Map<string, string>,
  leftover: Uint8Array,
  options: RawOpenOptions,
): RawWebSocket {
  const parser = new FrameParser(options.maxFrameBytes);
  const history: ParsedFrame[] = [];
  const unread: ParsedFrame[] = [];
  const waiters: Waiter[] = [];
  let autoPong = options.autoPong ?? true;
  let silent = false;
  let ended = false;
  let resolveClosed: () => void = () => {};
  const tcpClosed = new Promise<void>((r) => (resolveClosed = r));

  const write = (bytes: Uint8Array): boolean => {
    if (silent || socket.destroyed || !socket.writable) return false;
    return socket.write(bytes);
  };
  const deliver = (frame: ParsedFrame | null): void => {
    const waiter = waiters.shift();
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
    } else if (frame) {
      unread.push(frame);
    }
  };
  const onBytes = (chunk: Uint8Array): void => {
    for (const frame of parser.push(chunk)) {
      history.push(frame);
      if (frame.kind === "ping" && autoPong) write(encodeFrame({ opcode: Opcode.PONG, payload: frame.payload }));
      deliver(frame);
    }
  };
  socket.on("data", onBytes);
  socket.on("error", () => {
    /* reported as the end of the stream */
  });
  socket.on("close", () => {
    ended = true;
    while (waiters.length > 0) deliver(null);
    resolveClosed();
  });
  if (leftover.length > 0) onBytes(leftover);

  const nextFrame = (timeoutMs = 5000): Promise<ParsedFrame | null> => {
    const frame = unread.shift();
    if (frame) return Promise.resolve(frame);
    if (ended) return Promise.resolve(null);
    return new Promise<ParsedFrame | null>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no frame within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      waiters.push(waiter);
    });
  };

  const nextMessage = async (timeoutMs = 5000): Promise<RawMessage | null> => {
    const deadline = Date.now() + timeoutMs;
    const parts: Uint8Array[] = [];
    let type: "text" | "binary" | null = null;
    for (;;) {
      const frame = await nextFrame(Math.max(1, deadline - Date.now()));
      if (frame === null) return null;
      if (frame.kind === "ping" || frame.kind === "pong") continue;
      if (frame.kind === "close") return { type: "close", code: frame.closeCode ?? 1005, reason: frame.closeReason ?? "" };
      if (frame.kind === "text" || frame.kind === "binary") type = frame.kind;
      parts.push(frame.payload);
      if (!frame.fin) continue;
      const data = concat(parts);
      return type === "text" ? { type: "text", text: new TextDecoder().decode(data), data } : { type: "binary", data };
    }
  };

  const waitForClose = async (timeoutMs = 5000): Promise<RawCloseResult> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let frame: ParsedFrame | null;
      try {
        frame = await nextFrame(Math.max(1, deadline - Date.now()));
      } catch {
        return { code: null, reason: "", tcpClosed: ended };
      }
      if (frame === null) return { code: null, reason: "", tcpClosed: true };
      if (frame.kind === "close") return { code: frame.closeCode ?? 1005, reason: frame.closeReason ?? "", tcpClosed: ended };
    }
  };

  const api: RawWebSocket = {
    socket,
    headers,
    protocol: headers.get("sec-websocket-protocol") ?? "",
    frames: history,
    get ended() {
      return ended;
    },
    tcpClosed,
    sendFrame: (spec) => write(encodeFrame(spec)),
    sendRaw: (bytes) => write(bytes),
    sendText: (text) => write(encodeFrame({ opcode: Opcode.TEXT, payload: utf8(text) })),
    sendBinary: (data) => write(encodeFrame({ opcode: Opcode.BINARY, payload: data })),
    ping: (payload) => write(encodeFrame({ opcode: Opcode.PING, payload: payload ?? new Uint8Array(0) })),
    pong: (payload) => write(encodeFrame({ opcode: Opcode.PONG, payload: payload ?? new Uint8Array(0) })),
    sendClose: (code, reason) => write(encodeFrame({ opcode: Opcode.CLOSE, payload: closePayload(code, reason) })),
    nextFrame,
    nextMessage,
    waitForClose,
    async close(code = 1000, reason = "", timeoutMs = 5000) {
      api.sendClose(code, reason);
      const result = await waitForClose(timeoutMs);
      if (!ended) {
        const grace = new Promise<void>((r) => {
          const t = setTimeout(r, Math.min(timeoutMs, 1000));
          void tcpClosed.then(() => {
            clearTimeout(t);
            r();
          });
        });
        await grace;
      }
      const tcp = ended;
      socket.destroy();
      return { ...result, tcpClosed: tcp };
    },
    pauseReading: () => void socket.pause(),
    resumeReading: () => {
      if (!silent) socket.resume();
    },
    destroy: () => void socket.destroy(),
    endWithoutClose: () => void socket.end(),
    goSilent: () => {
      silent = true;
      autoPong = false;
      socket.pause();
    },
  };
  return api;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0] as Uint8Array;
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
