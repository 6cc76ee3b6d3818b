import { CLOSE_SEND_TIMEOUT, WsSession } from "./session.ts";
import type { DrainWaiter, EndListener } from "./session.ts";
import { WebSocketSendAsync, wsSendAsync } from "./send_async.ts";
import type { EndpointMap, Outgoing, Payload, Respond, SendResult, Session } from "./types.ts";
import { checkPositiveInteger, describe } from "./validate.ts";

/**
 * A session's bounded send queue (Pedestal's core.async send channel).
 * Messages go out in put order, one at a time; a message put with a response
 * target reports exactly one {@linkcode SendResult} to it.
 *
 * @example
 * ```ts
 * import { startWsConnection } from "@plinth/websocket";
 * import type { Session } from "@plinth/websocket";
 * async function stream(session: Session, tokens: AsyncIterable<string>) {
 *   const channel = startWsConnection(session, { sendBufferSize: 32 });
 *   for await (const token of tokens) {
 *     if (!(await channel.put(token))) break; // the session ended
 *   }
 *   channel.close(); // sends what is buffered, then closes with 1000
 * }
 * ```
 */
export interface SendChannel {
  /**
   * Queues a message, waiting while the buffer is full; resolves false once the channel is closed.
   * A response target put with the message always gets exactly one result ("closed" when refused).
   */
  put(value: Outgoing): Promise<boolean>;
  /** Queues a message if there is room now; false when full or closed (and then its response target gets nothing). */
  offer(value: Outgoing): boolean;
  /** Stops taking messages; what is buffered is still sent, then the session closes with 1000. */
  close(): void;
  /** True once `close()` was called or the session ended. */
  readonly closed: boolean;
  /** The same channel as a Web `WritableStream`, for `pipeTo`. */
  readonly writable: WritableStream<Outgoing>;
}

/**
 * Options of {@linkcode startWsConnection}.
 *
 * @example
 * ```ts
 * import type { StartWsConnectionOptions } from "@plinth/websocket";
 * const options: StartWsConnectionOptions = { sendBufferSize: 64 };
 * ```
 */
export interface StartWsConnectionOptions {
  /**
   * How many messages the channel buffers before `put` waits (Pedestal's `:send-buffer-or-n`).
   * @default {10}
   */
  sendBufferSize?: number;
}

const TRUE: Promise<boolean> = Promise.resolve(true);
const FALSE: Promise<boolean> = Promise.resolve(false);

interface WaitingPut {
  readonly value: Outgoing;
  readonly resolve: (accepted: boolean) => void;
}

// #lifecycle
const OPEN = 0;
const CLOSED = 1;
const ENDED = 2;
// #activity
const IDLE = 0;
const PUMPING = 1;
const WAITING_DRAIN = 2;
const IN_FLIGHT = 3;

class WsSendChannel implements SendChannel, DrainWaiter, EndListener {
  readonly #session: WsSession;
  readonly #capacity: number;
  // Both queues are made on first use: an idle channel holds no arrays.
  #buffer: Outgoing[] | null = null;
  #waitingPuts: WaitingPut[] | null = null;
  /** OPEN; CLOSED once `close()` ran (buffered messages still go out); ENDED once the session ended. */
  #lifecycle = OPEN;
  /** What the send loop is doing: IDLE, PUMPING, WAITING_DRAIN or IN_FLIGHT (an async send). */
  #activity = IDLE;
  /** What only a waiting, streaming or async send needs, made on first use: an idle channel stays small. */
  #extras: ChannelExtras | null = null;

  constructor(session: WsSession, capacity: number) {
    this.#session = session;
    this.#capacity = capacity;
    session.onEnd(this);
  }

  onSessionEnd(): void {
    this.#end();
  }

  get closed(): boolean {
    return this.#lifecycle !== OPEN;
  }

  put(value: Outgoing): Promise<boolean> {
    if (this.#lifecycle !== OPEN) {
      this.#reportClosed(value);
      return FALSE;
    }
    if (this.#idle() && typeof value === "string") {
      // Nothing queued or in flight and the socket takes more: the message goes out now.
      this.#session.transmit(value);
      return TRUE;
    }
    if (this.#buffered() < this.#capacity && this.#waitingPuts === null) {
      (this.#buffer ??= []).push(value);
      this.#pump();
      return TRUE;
    }
    return new Promise((resolve) => {
      (this.#waitingPuts ??= []).push({ value, resolve });
    });
  }

  offer(value: Outgoing): boolean {
    if (this.#lifecycle !== OPEN || this.#buffered() >= this.#capacity || this.#waitingPuts !== null) return false;
    if (this.#idle() && typeof value === "string") {
      this.#session.transmit(value);
      return true;
    }
    (this.#buffer ??= []).push(value);
    this.#pump();
    return true;
  }

  close(): void {
    if (this.#lifecycle !== OPEN) return;
    this.#lifecycle = CLOSED;
    this.#pump();
  }

  get #more(): ChannelExtras {
    return this.#extras ??= new ChannelExtras();
  }

  get writable(): WritableStream<Outgoing> {
    const more = this.#more;
    more.writable ??= new WritableStream<Outgoing>({
      write: async (chunk) => {
        if (!(await this.put(chunk))) throw new Error("send channel is closed");
      },
      close: () => this.close(),
      abort: () => this.close(),
    });
    return more.writable;
  }

  onDrain(): void {
    if (this.#activity === WAITING_DRAIN) this.#activity = IDLE;
    this.#clearSendTimer();
    this.#pump();
  }

  /** Whether a message put now could go straight to the socket: nothing queued, in flight or waiting. */
  #idle(): boolean {
    return this.#buffer === null && this.#activity === IDLE && this.#session.sendable && !this.#session.congested;
  }

  #pump(): void {
    if (this.#activity !== IDLE || this.#lifecycle === ENDED) return;
    this.#activity = PUMPING;
    const session = this.#session;
    try {
      let buffer: Outgoing[] | null;
      while ((buffer = this.#buffer) !== null) {
        if (!session.sendable) {
          this.#end();
          return;
        }
        if (session.congested) {
          this.#activity = WAITING_DRAIN;
          const timeout = session.sendTimeoutMs;
          if (timeout > 0) this.#more.sendTimer = setTimeout(() => session.closeWith(CLOSE_SEND_TIMEOUT), timeout);
          session.waitForDrain(this);
          return;
        }
        const item = buffer.shift()!;
        if (buffer.length === 0) this.#buffer = null;
        this.#admitWaitingPut();
        let payload: Payload;
        let respond: Respond | null | undefined;
        if (Array.isArray(item)) {
          payload = item[0] as Payload;
          respond = item[1] as Respond | null | undefined;
        } else {
          payload = item as Payload;
        }
        if (typeof payload === "string" || payload instanceof Uint8Array) {
          const result = session.transmit(payload);
          if (respond != null) this.#report(respond, result);
        } else {
          this.#activity = IN_FLIGHT;
          const more = this.#more;
          more.inflightRespond = respond;
          this.#sendOther(payload).then(more.asyncSent ??= (result) => this.#asyncSent(result));
          return;
        }
      }
      if (this.#lifecycle === CLOSED && this.#waitingPuts === null) session.close();
    } finally {
      if (this.#activity === PUMPING) this.#activity = IDLE;
    }
  }

  #sendOther(payload: Payload): Promise<SendResult> {
    if (payload instanceof ArrayBuffer || ArrayBuffer.isView(payload)) {
      const view = payload instanceof ArrayBuffer
        ? new Uint8Array(payload)
        : new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
      return Promise.resolve(this.#session.transmit(view));
    }
    if (payload instanceof Blob || (payload !== null && typeof payload === "object" && WebSocketSendAsync in payload)) {
      return wsSendAsync(payload, this.#session.asyncRemote);
    }
    return Promise.resolve(
      new TypeError(
        `send channel: a message must be a string, ArrayBuffer, ArrayBufferView, Blob or implement [WebSocketSendAsync], got ${
          describe(payload)
        }`,
      ),
    );
  }

  #asyncSent(result: SendResult): void {
    this.#activity = IDLE;
    const more = this.#more;
    const respond = more.inflightRespond;
    more.inflightRespond = undefined;
    if (respond != null) this.#report(respond, result);
    this.#pump();
  }

  #buffered(): number {
    return this.#buffer === null ? 0 : this.#buffer.length;
  }

  #admitWaitingPut(): void {
    const puts = this.#waitingPuts;
    if (puts === null) return;
    const waiting = puts.shift();
    if (puts.length === 0) this.#waitingPuts = null;
    if (waiting === undefined) return;
    (this.#buffer ??= []).push(waiting.value);
    waiting.resolve(true);
  }

  #report(respond: Respond, result: SendResult): void {
    try {
      if (typeof respond === "function") respond(result);
      else respond.put(result);
    } catch (error) {
      this.#session.logError("plinth: a send channel response target failed", error);
    }
  }

  /** The session ended: buffered messages get "closed", waiting puts get false. */
  #end(): void {
    if (this.#lifecycle === ENDED) return;
    this.#lifecycle = ENDED;
    this.#clearSendTimer();
    const buffered = this.#buffer;
    this.#buffer = null;
    if (buffered !== null) for (const item of buffered) this.#reportClosed(item);
    const waiting = this.#waitingPuts;
    this.#waitingPuts = null;
    if (waiting === null) return;
    for (const put of waiting) {
      this.#reportClosed(put.value);
      put.resolve(false);
    }
  }

  #clearSendTimer(): void {
    const more = this.#extras;
    if (more === null || more.sendTimer === undefined) return;
    clearTimeout(more.sendTimer);
    more.sendTimer = undefined;
  }

  #reportClosed(item: Outgoing): void {
    if (Array.isArray(item) && item[1] != null) this.#report(item[1] as Respond, "closed");
  }
}

/** The part of a channel's state that only some channels need (see `WsSendChannel.#extras`). */
class ChannelExtras {
  /** The response target of the async send in flight. */
  inflightRespond: Respond | null | undefined = undefined;
  /** Closes the session when the socket stays congested past the endpoint's send timeout. */
  sendTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  writable: WritableStream<Outgoing> | undefined = undefined;
  /** Continues the loop once an async send settled (made once per channel). */
  asyncSent: ((result: SendResult) => void) | undefined = undefined;
}

/**
 * Turns a session into a bounded send channel (Pedestal's `start-ws-connection`).
 * Messages are sent in put order, one at a time, never handing the runtime more
 * while its send buffer is over the high-water mark.
 *
 * @throws {TypeError} when `session` is not a plinth session
 * @throws {RangeError} when `opts.sendBufferSize` is not an integer of at least 1
 *
 * @example
 * ```ts
 * import { startWsConnection } from "@plinth/websocket";
 * import type { EndpointMap, SendChannel } from "@plinth/websocket";
 * const ticker: EndpointMap<SendChannel> = {
 *   onOpen: (session) => startWsConnection(session),
 *   onText: (channel, text) => {
 *     channel.offer([text.toUpperCase(), (result) => console.log("sent?", result)]);
 *   },
 * };
 * ```
 */
export function startWsConnection(session: Session, opts: StartWsConnectionOptions = {}): SendChannel {
  if (!(session instanceof WsSession)) {
    throw new TypeError(`startWsConnection: session must be a plinth Session, got ${describe(session)}`);
  }
  if (opts === null || typeof opts !== "object") {
    throw new TypeError(`startWsConnection: opts must be an object, got ${describe(opts)}`);
  }
  const capacity = opts.sendBufferSize === undefined
    ? 10
    : checkPositiveInteger(opts.sendBufferSize, "opts.sendBufferSize");
  return new WsSendChannel(session, capacity);
}

/**
 * An `onOpen` that starts a send channel and makes it the session object
 * (Pedestal's `on-open-start-ws-connection`).
 *
 * @throws {RangeError} when `opts.sendBufferSize` is not an integer of at least 1
 *
 * @example
 * ```ts
 * import { onOpenStartWsConnection } from "@plinth/websocket";
 * import type { EndpointMap, SendChannel } from "@plinth/websocket";
 * const echo: EndpointMap<SendChannel> = {
 *   onOpen: onOpenStartWsConnection({ sendBufferSize: 16 }),
 *   onText: (channel, text) => void channel.put(text),
 * };
 * ```
 */
export function onOpenStartWsConnection(
  opts: StartWsConnectionOptions = {},
): NonNullable<EndpointMap<SendChannel>["onOpen"]> {
  if (opts === null || typeof opts !== "object") {
    throw new TypeError(`onOpenStartWsConnection: opts must be an object, got ${describe(opts)}`);
  }
  if (opts.sendBufferSize !== undefined) checkPositiveInteger(opts.sendBufferSize, "opts.sendBufferSize");
  const settled = { ...opts };
  return (session: Session) => startWsConnection(session, settled);
}
