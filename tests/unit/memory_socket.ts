/**
 * An in-memory `SocketLike` and helpers that drive a session through the
 * core's adapter entry points, with no runtime and no network: the unit
 * tests' stand-in for an adapter.
 * @module
 */
import { addEndpoint, createContainer, ServerContainer, stateOf } from "../../src/container.ts";
import type { ContainerOptions, EndpointMap, Logger } from "../../src/types.ts";
import { AcceptedUpgrade, acceptUpgrade } from "../../src/handshake.ts";
import type { AcceptOptions } from "../../src/handshake.ts";
import type { WsSession } from "../../src/session.ts";
import type { SocketLike } from "../../src/socket.ts";
import type { NativeTopics } from "../../src/topics.ts";

/** One `close(code, reason)` call the core made on the socket. */
export interface CloseCall {
  readonly code: number;
  readonly reason: string;
}

/**
 * A socket that records what the core sends and lets a test play the runtime:
 * `bufferedAmount` is writable (set it over 64 KiB to simulate a congested
 * client), `peer` is the session to echo closes to.
 */
export class MemorySocket implements SocketLike {
  /** Bytes "not yet written": set by the test. */
  bufferedAmount = 0;
  /** Every message `send` accepted, in order. */
  readonly sent: (string | Uint8Array)[] = [];
  /** Every `close` call, in order. */
  readonly closes: CloseCall[] = [];
  /** How many times `terminate` was called. */
  terminated = 0;
  /** False: `send` reports the connection gone (returns false). */
  connected = true;
  /** When set, `send` throws it. */
  sendError: unknown = undefined;
  /** When true, each accepted send adds its size to `bufferedAmount` (a client that reads nothing). */
  growOnSend = false;
  /**
   * When set, a `close` call is answered like a peer would: the session gets
   * `receiveClose(code, reason)` on a later macrotask.
   */
  peer: WsSession | null = null;
  /** The runtime's own topics (a fake of Bun's), when a test sets them before `connect`. */
  nativeTopics?: NativeTopics;

  send(data: string | Uint8Array): number {
    if (this.sendError !== undefined) throw this.sendError;
    if (!this.connected) return 0;
    this.sent.push(data);
    if (this.growOnSend) this.bufferedAmount += typeof data === "string" ? data.length : data.byteLength;
    return -1;
  }

  close(code: number, reason: string): void {
    this.closes.push({ code, reason });
    const peer = this.peer;
    if (peer !== null) setTimeout(() => peer.receiveClose(code, reason), 0);
  }

  terminate(): void {
    this.terminated++;
  }

  /** The text frames sent, in order. */
  get texts(): string[] {
    return this.sent.filter((m): m is string => typeof m === "string");
  }

  /** The binary frames sent, in order. */
  get binaries(): Uint8Array[] {
    return this.sent.filter((m): m is Uint8Array => typeof m !== "string");
  }

  /** The last close call, or undefined. */
  get lastClose(): CloseCall | undefined {
    return this.closes[this.closes.length - 1];
  }
}

/** A GET request for `path` on host `x`, with `Upgrade: websocket` plus `headers`. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}): Request {
  return new Request(`http://x${path}`, {
    headers: { upgrade: "websocket", connection: "Upgrade", "sec-websocket-version": "13", ...headers },
  });
}

/** A logger that records every call. */
export class RecordingLogger implements Logger {
  readonly calls: { msg: string; err: unknown }[] = [];
  error(msg: string, err?: unknown): void {
    this.calls.push({ msg, err });
  }
}

/** A container with one endpoint at `path` (default `/path`) and a recording logger. */
export function containerWith<S>(
  endpoint: EndpointMap<S>,
  options: ContainerOptions & { path?: string } = {},
): { container: ServerContainer; logger: RecordingLogger } {
  const logger = options.logger instanceof RecordingLogger ? options.logger : new RecordingLogger();
  const { path = "/path", ...containerOptions } = options;
  const container = createContainer({ ...containerOptions, logger });
  addEndpoint(container, path, endpoint);
  return { container, logger };
}

/** What {@linkcode connectSession} hands back. */
export interface Connected {
  readonly session: WsSession;
  readonly socket: MemorySocket;
  readonly upgrade: AcceptedUpgrade;
}

/** Options of {@linkcode connectSession}. */
export interface ConnectOptions {
  /** Request path; default `/path`. */
  readonly path?: string;
  /** Extra request headers. */
  readonly headers?: Record<string, string>;
  /** Passed to `connect`: true means the test calls `drained()`; default true. */
  readonly drainEvents?: boolean;
  /** Call `opened()`; default true. */
  readonly open?: boolean;
  /** Answer the server's close like a peer (`receiveClose` with the same code); default true. */
  readonly echoClose?: boolean;
  /** Passed to `acceptUpgrade`. */
  readonly accept?: AcceptOptions;
}

/**
 * Drives one connection as an adapter would: `acceptUpgrade` → `connect(socket,
 * drainEvents)` → `opened()`. Throws when the handshake was refused.
 */
export async function connectSession(container: ServerContainer, options: ConnectOptions = {}): Promise<Connected> {
  const { path = "/path", headers = {}, drainEvents = true, open = true, echoClose = true } = options;
  const upgrade = await acceptUpgrade(stateOf(container), upgradeRequest(path, headers), options.accept);
  if (!(upgrade instanceof AcceptedUpgrade)) {
    throw new Error(`handshake for ${path} refused: ${upgrade === null ? "no endpoint" : upgrade.status}`);
  }
  const socket = new MemorySocket();
  const session = upgrade.connect(socket, drainEvents);
  if (echoClose) socket.peer = session;
  if (open) session.opened();
  return { session, socket, upgrade };
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Lets pending microtasks and one round of timers run. */
export const tick = (): Promise<void> => sleep(0);

/** A promise with its resolve and reject functions. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** Makes a {@linkcode Deferred}. */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Resolves with `promise`'s value, or rejects when it has not settled within
 * `ms` (so a missing close fails the test instead of hanging it).
 */
export async function within<T>(promise: Promise<T>, ms = 1000, what = "promise"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` is still pending after pending microtasks and one round of timers. */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  await tick();
  return !settled;
}
