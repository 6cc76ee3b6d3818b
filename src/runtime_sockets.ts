/**
 * `SocketLike` wrappers for the server-side sockets that more than one adapter
 * drives: Bun's `ServerWebSocket` (the Bun adapter, and Hono on Bun) and
 * `ws`'s `WebSocket` (the Node adapter, and Hono on Node). Typed
 * structurally, so the core still imports no runtime.
 * @module
 */
import type { SocketLike } from "./socket.ts";
import type { NativeTopics } from "./topics.ts";

/** What the core uses of Bun's `ServerWebSocket`. */
export interface BunServerWebSocketLike {
  /** -1: queued under backpressure, 0: dropped, > 0: bytes sent. */
  send(data: string | Uint8Array): number;
  close(code?: number, reason?: string): void;
  terminate(): void;
  getBufferedAmount(): number;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Sends to every subscriber but this socket; -1 when any is under backpressure. */
  publish(topic: string, data: string | Uint8Array): number;
}

/** Stands in for a Bun socket that is not open yet (see {@linkcode BunSocket.attach}). */
const NOT_OPEN: BunServerWebSocketLike = {
  send: () => 0,
  close: () => {},
  terminate: () => {},
  getBufferedAmount: () => 0,
  subscribe: () => {},
  unsubscribe: () => {},
  publish: () => 0,
};

/**
 * A Bun `ServerWebSocket` as the core drives it. Topics ride Bun's own
 * publish; the adapter then registers its server as the container's native
 * publisher, so `container.publish` reaches these sockets. Made without a
 * socket (the Bun adapter makes it at upgrade time, as the connection's
 * `ws.data`), it drops everything until {@linkcode attach}.
 */
export class BunSocket implements SocketLike {
  #socket: BunServerWebSocketLike;
  constructor(socket: BunServerWebSocketLike | null) {
    this.#socket = socket ?? NOT_OPEN;
  }
  /** Gives the socket, once Bun opened it. */
  attach(socket: BunServerWebSocketLike): void {
    this.#socket = socket;
  }
  /** Bun's topics for this socket. */
  get nativeTopics(): NativeTopics | undefined {
    return this.#socket;
  }
  get bufferedAmount(): number {
    return this.#socket.getBufferedAmount();
  }
  send(data: string | Uint8Array): number {
    // Bun's own answer: -1 queued under backpressure, 0 dropped, > 0 written through.
    return this.#socket.send(data);
  }
  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }
  terminate(): void {
    this.#socket.terminate();
  }
}

/** A Bun socket whose server's publish is out of reach (Hono on Bun): topics use the core's loop. */
export class BunSocketWithoutTopics extends BunSocket {
  override get nativeTopics(): NativeTopics | undefined {
    return undefined;
  }
}

/** What the core uses of a `ws` `WebSocket`. */
export interface NodeWsLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array): void;
  send(data: string | Uint8Array, options: { binary?: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

const WS_OPEN = 1;
/** `ws`'s send options for bytes that are UTF-8 text. */
const AS_TEXT = { binary: false } as const;

/** A `ws` `WebSocket` (Node) as the core drives it. */
export class NodeWsSocket implements SocketLike {
  readonly #socket: NodeWsLike;
  readonly encodeText: ((text: string) => Uint8Array) | undefined;
  /** `encodeText`: makes a Node `Buffer` (`ws` then sends it without wrapping it per subscriber). */
  constructor(socket: NodeWsLike, encodeText?: (text: string) => Uint8Array) {
    this.#socket = socket;
    this.encodeText = encodeText;
  }
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }
  send(data: string | Uint8Array): number {
    if (this.#socket.readyState !== WS_OPEN) return 0;
    this.#socket.send(data);
    return -1;
  }
  sendText(utf8: Uint8Array): number {
    if (this.#socket.readyState !== WS_OPEN) return 0;
    this.#socket.send(utf8, AS_TEXT);
    return -1;
  }
  close(code: number, reason: string): void {
    this.#socket.close(code, reason);
  }
  terminate(): void {
    this.#socket.terminate();
  }
}

/** Whether `raw` looks like Bun's `ServerWebSocket`. */
export function isBunServerWebSocket(raw: unknown): raw is BunServerWebSocketLike {
  return typeof raw === "object" && raw !== null &&
    typeof (raw as { getBufferedAmount?: unknown }).getBufferedAmount === "function" &&
    typeof (raw as { terminate?: unknown }).terminate === "function";
}

/** Whether `raw` looks like a `ws` `WebSocket` (an EventEmitter with `terminate`). */
export function isNodeWs(raw: unknown): raw is NodeWsLike & NodeWsEvents {
  return typeof raw === "object" && raw !== null &&
    typeof (raw as { on?: unknown }).on === "function" &&
    typeof (raw as { terminate?: unknown }).terminate === "function" &&
    typeof (raw as { bufferedAmount?: unknown }).bufferedAmount === "number";
}

/** The `ws` events an adapter listens to. */
export interface NodeWsEvents {
  on(event: "message", listener: (data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean) => void): unknown;
  on(event: "close", listener: (code: number, reason: Uint8Array) => void): unknown;
}

/** What the core uses of a Web-standard `WebSocket` (Deno's, the one `hono/deno` hands over). */
export interface WebStandardWebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string | Uint8Array<ArrayBuffer>): void;
  close(code?: number, reason?: string): void;
}

/** A Web-standard server-side `WebSocket` as the core drives it. */
export class WebStandardSocket implements SocketLike {
  readonly #socket: WebStandardWebSocketLike;
  constructor(socket: WebStandardWebSocketLike) {
    this.#socket = socket;
  }
  get bufferedAmount(): number {
    return this.#socket.bufferedAmount;
  }
  send(data: string | Uint8Array): number {
    if (this.#socket.readyState !== WS_OPEN) return 0;
    this.#socket.send(data as string | Uint8Array<ArrayBuffer>);
    return -1;
  }
  close(code: number, reason: string): void {
    // Deno drops the connection (FIN, no close frame: the client sees 1006) when close() is
    // called while frames it has read from the socket are still waiting to be dispatched — a
    // close from inside a message event, with more frames in the same TCP read. Started on a
    // later macrotask, after those frames were dispatched (the session ignores them, it is
    // closing), the close frame goes out as it should.
    setTimeout(closeWebStandardSocket, 0, this.#socket, code, reason);
  }
  terminate(): void {
    // The Web API has no abort; the core ends the session itself.
    if (this.#socket.readyState === WS_OPEN) this.#socket.close();
  }
}

function closeWebStandardSocket(socket: WebStandardWebSocketLike, code: number, reason: string): void {
  socket.close(code, reason);
}

/** Whether `raw` looks like a Web-standard `WebSocket`. */
export function isWebStandardWebSocket(raw: unknown): raw is WebStandardWebSocketLike {
  return typeof raw === "object" && raw !== null &&
    typeof (raw as { bufferedAmount?: unknown }).bufferedAmount === "number" &&
    typeof (raw as { send?: unknown }).send === "function" &&
    typeof (raw as { close?: unknown }).close === "function";
}
