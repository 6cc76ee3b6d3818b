/**
 * A WebSocket client for the contract suite: the runtime's own `WebSocket`
 * on Deno and Bun, `ws` on Node 20 (which has none).
 * @module
 */
import { RUNTIME } from "./runtime.ts";

/** What a client saw when its connection closed. */
export interface ClientClose {
  code: number;
  reason: string;
}

/** One received message: text as a string, binary as bytes. */
export type Received = string | Uint8Array;

interface MinimalWebSocket {
  binaryType: string;
  readonly protocol: string;
  readonly readyState: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

type WebSocketConstructor = new (url: string, protocols?: string | string[]) => MinimalWebSocket;

let constructorPromise: Promise<WebSocketConstructor> | undefined;
function webSocketConstructor(): Promise<WebSocketConstructor> {
  constructorPromise ??= RUNTIME === "node"
    ? import("ws").then((m) => m.WebSocket as unknown as WebSocketConstructor)
    : Promise.resolve((globalThis as unknown as { WebSocket: WebSocketConstructor }).WebSocket);
  return constructorPromise;
}

/** A connected test client that records what it receives. */
export class TestClient {
  readonly received: Received[] = [];
  readonly closed: Promise<ClientClose>;
  #waiters: (() => void)[] = [];
  #closeInfo: ClientClose | null = null;

  constructor(readonly socket: MinimalWebSocket) {
    let resolveClosed!: (close: ClientClose) => void;
    this.closed = new Promise((resolve) => (resolveClosed = resolve));
    socket.onmessage = (event) => {
      const data = event.data;
      if (typeof data === "string") this.received.push(data);
      else if (data instanceof ArrayBuffer) this.received.push(new Uint8Array(data));
      else if (ArrayBuffer.isView(data)) {
        this.received.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice());
      } else this.received.push(String(data));
      this.#wake();
    };
    socket.onclose = (event) => {
      this.#closeInfo = { code: event.code, reason: event.reason };
      resolveClosed(this.#closeInfo);
      this.#wake();
    };
  }

  /** The subprotocol the server chose ("" for none). */
  get protocol(): string {
    return this.socket.protocol;
  }

  /** Sends text or bytes. */
  send(data: string | Uint8Array): void {
    this.socket.send(data);
  }

  /** Starts a client-side close. */
  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits until `count` messages have arrived (or throws after `timeoutMs`). */
  async waitFor(count: number, timeoutMs = 5000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length < count) {
      if (this.#closeInfo !== null) {
        throw new Error(`closed (${this.#closeInfo.code} ${this.#closeInfo.reason}) after ${this.received.length}/${count} messages`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out with ${this.received.length}/${count} messages`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.received.slice(0, count);
  }

  /** The next message after the ones already taken with `next`. */
  #taken = 0;
  async next(timeoutMs = 5000): Promise<Received> {
    const all = await this.waitFor(this.#taken + 1, timeoutMs);
    return all[this.#taken++]!;
  }
}

/** Opens a WebSocket to `url` and waits for it to open; rejects if the handshake fails. */
export async function connect(url: string, protocols?: string | string[]): Promise<TestClient> {
  const WebSocketImpl = await webSocketConstructor();
  const target = url.replace(/^http/, "ws");
  const socket = protocols === undefined ? new WebSocketImpl(target) : new WebSocketImpl(target, protocols);
  socket.binaryType = "arraybuffer";
  const client = new TestClient(socket);
  await new Promise<void>((resolve, reject) => {
    socket.onopen = () => resolve();
    socket.onerror = () => reject(new Error(`handshake with ${target} failed`));
    void client.closed.then((close) => reject(new Error(`closed during handshake: ${close.code}`)));
  });
  socket.onerror = () => {};
  return client;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `condition()` holds, polling; throws after `timeoutMs`. */
export async function eventually(condition: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
