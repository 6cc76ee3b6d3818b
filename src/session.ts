import { type IdleLink, idleQueue } from "./idle_deadlines.ts";
import { CloseCodes, CloseReason, reportedCloseReason, toSendableCloseReason } from "./close_reason.ts";
import type { EndpointRegistration } from "./container.ts";
import { NO_PATH_PARAMETERS } from "./path_template.ts";
import { rebuildRequest } from "./request_copy.ts";
import type { HeaderLayout, RequestCopy } from "./request_copy.ts";
import type { SocketLike } from "./socket.ts";
import { checkTopic, toFrameData } from "./topics.ts";
import type { NativeTopics, TopicSubscriber } from "./topics.ts";
import type { EndpointMap, Logger, RemoteEndpoint, SendResult, Session } from "./types.ts";
import { fitsUtf8 } from "./utf8.ts";
import { beatFor } from "./heartbeat.ts";
import { checkNonNegativeInteger, describe } from "./validate.ts";

/** The send loop does not hand the runtime more while its buffer holds more than this many bytes. */
export const SEND_HIGH_WATER_MARK = 64 * 1024;
/** How long the peer gets to answer a close the server started before the connection is dropped. */
export const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;
/** What each message held before `onOpen` settles counts beyond its size (the array slot, the object). */
const HELD_MESSAGE_OVERHEAD = 64;
/** The pre-open bound is never below this, so endpoints with tiny limits still hold a few messages. */
const PRE_OPEN_MINIMUM = 64 * 1024;
/** How often a session polls `bufferedAmount` while waiting on a runtime with no drain event. */
const DRAIN_POLL_MS = 2;

const CONNECTING = 0; // socket not yet open; onOpen has not run
const OPENING = 1; // onOpen is running
const OPEN = 2;
const CLOSING = 3; // a close was started or received; onClose not yet run
const CLOSED = 4; // closed; onClose is running (or the session never opened)
const SETTLED = 5; // onClose has run: `closed` is settled

// #flags
/** The adapter calls `drained()`; without it the core polls `bufferedAmount`. */
const DRAIN_EVENTS = 1;
/** `onOpen` has not settled. */
const OPEN_CALLBACK_RUNNING = 2;
/** The runtime may hold data buffered for this socket (false while it is known to hold nothing). */
const MAYBE_BUFFERED = 4;
/** `onClose` is scheduled (see `#scheduleFinish`). */
const FINISH_SCHEDULED = 8;
/** The heartbeat pinged and no pong has come since. */
const AWAITING_PONG = 16;

/** Reasons the core closes with. Error text never reaches the client. */
export const CLOSE_INTERNAL_ERROR = new CloseReason(CloseCodes.UNEXPECTED_CONDITION, "Internal Error");
export const CLOSE_IDLE_TIMEOUT = new CloseReason(CloseCodes.GOING_AWAY, "Idle Timeout");
export const CLOSE_TEXT_TOO_BIG = new CloseReason(CloseCodes.TOO_BIG, "Text message too big");
export const CLOSE_BINARY_TOO_BIG = new CloseReason(CloseCodes.TOO_BIG, "Binary message too big");
export const CLOSE_SEND_TIMEOUT = new CloseReason(CloseCodes.VIOLATED_POLICY, "Send timeout");
export const CLOSE_BACKPRESSURE = new CloseReason(CloseCodes.VIOLATED_POLICY, "Backpressure limit exceeded");
export const CLOSE_ENDPOINT_FULL = new CloseReason(CloseCodes.TRY_AGAIN_LATER, "Too many sessions");
export const CLOSE_SHUTDOWN = new CloseReason(CloseCodes.GOING_AWAY, "Server shutdown");
/** The heartbeat dropped a peer that did not answer a ping by the next one (on every runtime). */
export const CLOSE_PING_TIMEOUT = new CloseReason(CloseCodes.GOING_AWAY, "Ping timeout");
/**
 * More arrived while an async `onOpen` ran than the session holds (see `WsSession.#hold`): 1008,
 * a policy of this server (send only after the server is ready, or less), not 1009, which tells
 * the client that one message was too big — none was.
 */
export const CLOSE_PRE_OPEN_FLOOD = new CloseReason(CloseCodes.VIOLATED_POLICY, "Too much data before open");
const CLOSE_ABNORMAL = new CloseReason(CloseCodes.CLOSED_ABNORMALLY, "");

const SUCCESS: Promise<SendResult> = Promise.resolve("success");
const CLOSED_RESULT: Promise<SendResult> = Promise.resolve("closed");

/** Something waiting for a session's send buffer to fall under the high-water mark. */
export interface DrainWaiter {
  /** Called once the buffer has drained, or the session has ended. */
  onDrain(): void;
}

/** Something told once when a session stops being sendable (a send channel). */
export interface EndListener {
  /** The session started closing or closed. */
  onSessionEnd(): void;
}

/** Where a session's lifecycle is tracked beyond its endpoint (a served server, for shutdown). */
export interface SessionScope {
  /** The session opened (it is in its endpoint's `openSessions` until it leaves the open state). */
  add(session: WsSession): void;
  /** The session started closing: it left its endpoint's `openSessions`. */
  leftOpen(session: WsSession): void;
  /** The session closed. */
  delete(session: WsSession): void;
  /** A connection was accepted and is not open yet (`add` or `opening` follows, or `notOpening`). */
  opening(pending: PendingOpen): void;
  /** The connection opened (then `add` follows) or never will. */
  notOpening(pending: PendingOpen): void;
}

/**
 * A connection accepted but not open yet, as a shutdown sees it: a session before the runtime's
 * open event, or an adapter's connection before its session exists.
 */
export interface PendingOpen {
  /** Once open, run `onOpen` and then close with `reason` (a shutdown began in between). */
  closeOnOpen(reason: CloseReason): void;
  /** Drops the connection if it is still there (the shutdown timed out). */
  terminate(): void;
  /** Settles once the connection has closed (after `onClose`, when `onOpen` ran), or never opened. */
  readonly closed: Promise<unknown>;
}

let nextSessionNumber = 0;
const SESSION_ID_PREFIX = Math.floor(Math.random() * 0x1000000).toString(36);

/** What a session is made from: the accepted handshake (see `AcceptedUpgrade`). */
export interface SessionInit {
  readonly registration: EndpointRegistration;
  /** The upgrade request, copied before the runtime consumes it (see `request_copy.ts`). */
  readonly requestCopy: RequestCopy;
  readonly pathParameters: Record<string, string>;
  /** The negotiated subprotocol, `""` for none. */
  readonly protocol: string;
  readonly scope: SessionScope | null;
}

/**
 * One connection: the public {@linkcode Session}, and the entry points an
 * adapter drives (`opened`, `receiveText`, `receiveBinary`, `receiveClose`, `drained`).
 */
export class WsSession implements Session, TopicSubscriber, PendingOpen {
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly negotiatedSubprotocol: string;

  #state = CONNECTING;
  readonly #registration: EndpointRegistration;
  readonly #socket: SocketLike;
  /** DRAIN_EVENTS, OPEN_CALLBACK_RUNNING, MAYBE_BUFFERED. */
  #flags: number;
  readonly #scope: SessionScope | null;
  #sessionObject: unknown = undefined;
  /** The close this side started, and the one the peer sent (or 1006 when the connection dropped). */
  #closeSent: CloseReason | null = null;
  #closeReceived: CloseReason | null = null;
  /** The upgrade request, kept compact (see `request_copy.ts`): its URL, header layout (shared) and own header values. */
  readonly #url: string;
  readonly #headerLayout: HeaderLayout;
  readonly #ownHeaderValues: string;
  /** The endpoint's limits (its registration) until a setter changes one; then the session's own. */
  #limits: SessionLimits;
  /** Its place in the idle-timeout list of its timeout, while it is open with an idle timeout. */
  #idle: IdleLink | null = null;
  #endListeners: EndListener | EndListener[] | null = null;
  #topics: Set<string> | null = null;
  #asyncRemote: RemoteEndpoint | undefined = undefined;
  /** State most sessions never touch, made on first use so an idle session stays small. */
  #extras: SessionExtras | null = null;

  /** `drainEvents`: the adapter calls `drained()`; false makes the core poll `bufferedAmount`. */
  constructor(init: SessionInit, socket: SocketLike, drainEvents: boolean) {
    const request = init.requestCopy;
    this.#url = request.url;
    this.#headerLayout = request.layout;
    this.#ownHeaderValues = request.ownValues;
    this.pathParameters = freezeParameters(init.pathParameters);
    this.negotiatedSubprotocol = init.protocol;
    this.#registration = init.registration;
    this.#socket = socket;
    this.#flags = drainEvents ? DRAIN_EVENTS | MAYBE_BUFFERED : MAYBE_BUFFERED;
    this.#scope = init.scope;
    this.#limits = init.registration;
    init.scope?.opening(this);
  }

  // Timer callbacks take the session as an argument: no closure per session.

  static #pollDrainOf(session: WsSession): void {
    session.#pollDrain();
  }

  static #terminateOf(session: WsSession): void {
    session.terminate();
  }

  static #finishOf(session: WsSession): void {
    session.#finishWhenSendsSettled();
  }

  static #finishAfterSends(this: WsSession): void {
    if (this.#state < CLOSED) this.#finish();
  }

  /** Where this session is tracked beyond its endpoint (a served server), if anywhere. */
  get scope(): SessionScope | null {
    return this.#scope;
  }

  /** The endpoint this session belongs to. */
  get registration(): EndpointRegistration {
    return this.#registration;
  }

  /** The runtime's own topics for this socket, when it has them. */
  get nativeTopics(): NativeTopics | null {
    return this.#socket.nativeTopics ?? null;
  }

  /** The rarely used state, made on first use. */
  get #more(): SessionExtras {
    return this.#extras ??= new SessionExtras();
  }

  get #endpoint(): EndpointMap<unknown> {
    return this.#registration.endpoint;
  }

  get #logger(): Logger {
    return this.#registration.container.options.logger;
  }

  /** Unique among this process's sessions; never empty. */
  get id(): string {
    // Numbered on first use: most sessions are never asked.
    return this.#more.id ??= `${SESSION_ID_PREFIX}-${(nextSessionNumber++).toString(36)}`;
  }

  /** The upgrade request (rebuilt from a compact copy on first access). */
  get request(): Request {
    return this.#more.request ??= rebuildRequest(this.#url, this.#headerLayout, this.#ownHeaderValues);
  }

  /** The upgrade request's URL. */
  get requestURI(): URL {
    return this.#more.requestURI ??= new URL(this.#url);
  }

  /** Per-session properties, first copied from the endpoint config's. */
  get userProperties(): Map<string, unknown> {
    return this.#more.userProperties ??= new Map(this.#registration.config.userProperties);
  }

  /** The sending side of this session. */
  get asyncRemote(): RemoteEndpoint {
    return this.#asyncRemote ??= new Remote(this);
  }

  /** Settles with the close reason once the session has closed and `onClose` has run. */
  get closed(): Promise<CloseReason> {
    const more = this.#more;
    if (more.closed === undefined) {
      more.closed = this.#state === SETTLED
        ? Promise.resolve(this.#finalReason())
        : new Promise((resolve) => (more.resolveClosed = resolve));
    }
    return more.closed;
  }

  /** The reason the session closed with: the close this side started, else the peer's, else 1006. */
  #finalReason(): CloseReason {
    return this.#closeSent ?? this.#closeReceived ?? CLOSE_ABNORMAL;
  }

  #settleClosed(): void {
    this.#state = SETTLED;
    this.#extras?.resolveClosed?.(this.#finalReason());
  }

  #failCallback(): (error: unknown) => void {
    const more = this.#more;
    return more.fail ??= (error) => this.#fail(error);
  }

  /** Starts watching for idleness from now (one shared timer per timeout, see `idle_deadlines.ts`; never on a socket whose server hibernates: a timer would keep it awake). */
  #watchIdle(timeoutMs: number): void {
    if (this.#socket.hibernates === true) return;
    this.#idle = idleQueue(timeoutMs).add(this);
  }

  /** A message went in or out: the idle clock, if any, starts over. */
  #noteActivity(): void {
    if (this.#idle !== null) this.#idle.touch();
  }

  #stopWatchingIdle(): void {
    if (this.#idle === null) return;
    this.#idle.remove();
    this.#idle = null;
  }

  /** The idle timeout passed with no message in or out (called by its list, which dropped it). */
  idleExpired(): void {
    if (this.#idle === null) return;
    this.#idle = null;
    if (this.isOpen) this.#initiateClose(CLOSE_IDLE_TIMEOUT);
  }

  /** The session's own limits, copied from the endpoint's on the first change. */
  #ownLimits(): OwnLimits {
    const limits = this.#limits;
    if (limits instanceof OwnLimits) return limits;
    return this.#limits = new OwnLimits(limits.idleTimeoutMs, limits.maxText, limits.maxBinary);
  }

  // ---- public Session surface -------------------------------------------------------------

  /** True from `onOpen` until the session starts closing. */
  get isOpen(): boolean {
    return this.#state === OPEN || this.#state === OPENING;
  }

  /** The open sessions of the same endpoint. */
  get openSessions(): ReadonlySet<Session> {
    return this.#registration.openSessions;
  }

  /** Idle timeout in ms; 0 disables it. */
  get maxIdleTimeout(): number {
    return this.#limits.idleTimeoutMs;
  }
  set maxIdleTimeout(ms: number) {
    const checked = checkNonNegativeInteger(ms, "session.maxIdleTimeout");
    this.#ownLimits().idleTimeoutMs = checked;
    this.#stopWatchingIdle();
    if (checked > 0 && this.isOpen) this.#watchIdle(checked);
  }

  /** Largest accepted text message in UTF-8 bytes. */
  get maxTextMessageBufferSize(): number {
    return this.#limits.maxText;
  }
  set maxTextMessageBufferSize(bytes: number) {
    const checked = checkNonNegativeInteger(bytes, "session.maxTextMessageBufferSize");
    this.#ownLimits().maxText = checked;
  }

  /** Largest accepted binary message in bytes. */
  get maxBinaryMessageBufferSize(): number {
    return this.#limits.maxBinary;
  }
  set maxBinaryMessageBufferSize(bytes: number) {
    const checked = checkNonNegativeInteger(bytes, "session.maxBinaryMessageBufferSize");
    this.#ownLimits().maxBinary = checked;
  }

  /** Starts the closing handshake (default 1000). Does nothing once closing. */
  close(reason?: CloseReason): void {
    const sendable = toSendableCloseReason(reason);
    this.#initiateClose(sendable);
  }

  /** The topics this session is subscribed to. */
  get topics(): ReadonlySet<string> {
    return this.#topics ?? EMPTY_TOPICS;
  }

  /** Subscribes to `topic`. Does nothing once the session is closing. */
  subscribe(topic: string): void {
    checkTopic(topic);
    if (!this.isOpen) return;
    const topics = this.#topics ??= new Set();
    if (topics.has(topic)) return;
    topics.add(topic);
    this.#registration.container.topics.subscribe(topic, this);
    this.#socket.topicsChanged?.(this);
  }

  /** Unsubscribes from `topic`. */
  unsubscribe(topic: string): void {
    checkTopic(topic);
    if (this.#topics === null || !this.#topics.delete(topic)) return;
    this.#registration.container.topics.unsubscribe(topic, this);
    this.#socket.topicsChanged?.(this);
  }

  /** Sends `payload` to every subscriber of `topic` but this session. */
  publish(topic: string, payload: string | ArrayBuffer | ArrayBufferView): void {
    this.#registration.container.topics.publish(topic, payload, this);
  }

  // ---- adapter entry points ---------------------------------------------------------------

  /** The socket is open: registers the session and runs `onOpen`. */
  opened(): void {
    if (this.#state !== CONNECTING) return;
    this.#scope?.notOpening(this);
    const registration = this.#registration;
    if (registration.openSessions.size >= registration.maxSessions) {
      // The endpoint filled up between the handshake and now; onOpen never runs.
      this.#state = CLOSED;
      this.#closeSent = CLOSE_ENDPOINT_FULL;
      this.#socket.close(CLOSE_ENDPOINT_FULL.code, CLOSE_ENDPOINT_FULL.reasonPhrase);
      this.#settleClosed();
      return;
    }
    this.#state = OPENING;
    this.#flags |= OPEN_CALLBACK_RUNNING;
    registration.openSessions.add(this);
    this.#scope?.add(this);
    const idleTimeoutMs = this.#limits.idleTimeoutMs;
    if (idleTimeoutMs > 0) this.#watchIdle(idleTimeoutMs);
    // The heartbeat's shared timer visits openSessions; runtimes that ping by themselves have no ping().
    if (registration.pingIntervalMs > 0 && this.#socket.ping !== undefined) beatFor(registration);
    const onOpen = this.#endpoint.onOpen;
    if (onOpen === undefined) {
      this.#openSettled(undefined);
    } else {
      let result: unknown;
      try {
        result = onOpen(this, registration.config);
        if (isThenable(result)) {
          result.then((value) => this.#openSettled(value), (error) => this.#openFailed(error));
        } else {
          this.#openSettled(result);
        }
      } catch (error) {
        this.#openFailed(error);
      }
    }
    // A shutdown that began before the socket opened closes the session now that onOpen ran.
    const closeOnOpen = this.#extras?.closeOnOpen ?? null;
    if (closeOnOpen !== null) this.#initiateClose(closeOnOpen);
  }

  /** Once open, runs `onOpen` and then closes with `reason` (a shutdown began before the socket opened). */
  closeOnOpen(reason: CloseReason): void {
    if (this.#state !== CONNECTING) return;
    this.#more.closeOnOpen = reason;
  }

  /**
   * Takes up an open session again in a fresh server (a Durable Object woken from hibernation):
   * the session is open at once with the state it was saved with; `onOpen` does not run again.
   */
  resume(id: string, sessionObject: unknown, userProperties: Iterable<readonly [string, unknown]>, topics: Iterable<string>): void {
    if (this.#state !== CONNECTING) return;
    const more = this.#more;
    more.id = id;
    more.userProperties = new Map(userProperties);
    this.#sessionObject = sessionObject;
    this.#state = OPEN;
    this.#registration.openSessions.add(this);
    this.#scope?.add(this);
    const table = this.#registration.container.topics;
    for (const topic of topics) {
      (this.#topics ??= new Set()).add(topic);
      table.subscribe(topic, this);
    }
  }

  /** The value `onOpen` settled with (the session object), for an adapter that saves it. */
  get sessionObject(): unknown {
    return this.#sessionObject;
  }

  /** A whole text message arrived. */
  receiveText(text: string): void {
    const state = this.#state;
    if (state !== OPEN && state !== OPENING) return;
    this.#noteActivity();
    if (!fitsUtf8(text, this.#limits.maxText)) {
      this.#initiateClose(CLOSE_TEXT_TOO_BIG);
      return;
    }
    if (state === OPEN) this.#deliverText(text);
    else this.#hold(text, text.length);
  }

  /** A whole binary message arrived; `data` becomes the callback's to keep. */
  receiveBinary(data: Uint8Array): void {
    const state = this.#state;
    if (state !== OPEN && state !== OPENING) return;
    this.#noteActivity();
    if (data.byteLength > this.#limits.maxBinary) {
      this.#initiateClose(CLOSE_BINARY_TOO_BIG);
      return;
    }
    if (state === OPEN) this.#deliverBinary(data);
    else this.#hold(data, data.byteLength);
  }

  /** The connection closed: with the peer's code, or 1006 when it dropped. */
  receiveClose(code: number, reason: string): void {
    if (this.#state >= CLOSED || this.#closeReceived !== null) return;
    this.#closeReceived = reportedCloseReason(code, reason);
    if (this.#state === CONNECTING) {
      this.#state = CLOSED;
      this.#scope?.notOpening(this);
      this.#settleClosed();
      return;
    }
    this.#leaveOpen();
    if ((this.#flags & OPEN_CALLBACK_RUNNING) !== 0) return; // onClose runs once onOpen settles
    this.#scheduleFinish();
  }

  /** Heartbeat tick (see `heartbeat.ts`): pings the peer, or drops it when the last ping went unanswered. */
  heartbeat(): void {
    const socket = this.#socket;
    if (socket.ping === undefined || (this.#state !== OPEN && this.#state !== OPENING)) return;
    if ((this.#flags & AWAITING_PONG) !== 0) {
      this.pingTimedOut();
      return;
    }
    this.#flags |= AWAITING_PONG;
    try {
      socket.ping();
    } catch {
      // The connection is going; its close event tells.
    }
  }

  /** The peer answered a ping. */
  ponged(): void {
    this.#flags &= ~AWAITING_PONG;
  }

  /**
   * The peer did not answer a ping in time (the core's heartbeat, or the runtime's own, which
   * already closed the socket): the connection is dropped and `onClose` reports 1001 "Ping timeout".
   */
  pingTimedOut(): void {
    if (this.#state >= CLOSED) return;
    if (this.#state === OPEN || this.#state === OPENING) {
      this.#closeSent = CLOSE_PING_TIMEOUT;
      this.#leaveOpen();
      try {
        // A close frame for a peer that may still read, then the connection goes at once.
        this.#socket.close(CLOSE_PING_TIMEOUT.code, CLOSE_PING_TIMEOUT.reasonPhrase);
        this.#socket.terminate();
      } catch {
        // Already gone.
      }
    }
    // Closing already (a close this side started keeps its reason): the connection is gone all the same.
    this.receiveClose(CloseCodes.CLOSED_ABNORMALLY, "");
  }

  /** The runtime's send buffer drained. */
  drained(): void {
    const waiters = this.#extras?.drainWaiters ?? null;
    if (waiters === null) return;
    if (this.congested && this.#state < CLOSING) return;
    this.#more.drainWaiters = null;
    for (const waiter of waiters) waiter.onDrain();
  }

  /** Ends the session now, without waiting for the closing handshake (shutdown timeout). */
  terminate(): void {
    if (this.#state >= CLOSED || this.#closeReceived !== null) return;
    try {
      this.#socket.terminate();
    } catch (error) {
      this.#logger.error("plinth: terminating a socket failed", error);
    }
    this.receiveClose(CloseCodes.CLOSED_ABNORMALLY, "");
  }

  // ---- sending (used by Remote, the send channel and topics) ------------------------------

  /**
   * Sends text or bytes now; the outcome, synchronously. `utf8`: `data` already encoded (a
   * published text), sent as a text frame where the socket takes encoded text.
   */
  transmit(data: string | Uint8Array, utf8: Uint8Array | null = null): SendResult {
    if (this.#state !== OPEN && this.#state !== OPENING) return "closed";
    try {
      const socket = this.#socket;
      const status = utf8 !== null && socket.sendText !== undefined ? socket.sendText(utf8) : socket.send(data);
      if (status === 0) return "closed";
      if (status < 0) this.#flags |= MAYBE_BUFFERED;
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    this.#noteActivity();
    return "success";
  }

  /** Sends as a promise, keeping order behind any Blob still being read. */
  transmitAsync(data: string | Uint8Array | Blob): Promise<SendResult> {
    if ((this.#extras?.sendTail ?? null) === null && !(data instanceof Blob)) {
      const result = this.transmit(data);
      return result === "success" ? SUCCESS : result === "closed" ? CLOSED_RESULT : Promise.resolve(result);
    }
    const more = this.#more;
    const previous = more.sendTail ?? SUCCESS;
    const sent: Promise<SendResult> = previous.then(async () => {
      if (!(data instanceof Blob)) return this.transmit(data);
      try {
        return this.transmit(new Uint8Array(await data.arrayBuffer()));
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });
    more.sendTail = sent;
    void sent.then(() => {
      if (more.sendTail === sent) more.sendTail = null;
    });
    return sent;
  }

  /** Bytes the runtime holds for this client. */
  get bufferedAmount(): number {
    return this.#state >= CLOSED ? 0 : this.#socket.bufferedAmount;
  }

  /**
   * Whether the send buffer is over the high-water mark. The runtime is asked
   * only while a send may have left data buffered (see `SocketLike.send`).
   */
  get congested(): boolean {
    if ((this.#flags & MAYBE_BUFFERED) === 0) return false;
    const buffered = this.#socket.bufferedAmount;
    if (buffered === 0) this.#flags &= ~MAYBE_BUFFERED;
    return buffered > SEND_HIGH_WATER_MARK;
  }

  /** Whether sends can still succeed. */
  get sendable(): boolean {
    return this.#state === OPEN || this.#state === OPENING;
  }

  /** The endpoint's send timeout (0 = none). */
  get sendTimeoutMs(): number {
    return this.#registration.sendTimeoutMs;
  }

  /** Calls `waiter.onDrain()` once the buffer is under the high-water mark or the session ended. */
  waitForDrain(waiter: DrainWaiter): void {
    const more = this.#more;
    (more.drainWaiters ??= []).push(waiter);
    if ((this.#flags & DRAIN_EVENTS) === 0 && more.drainPoll === undefined) {
      more.drainPoll = setTimeout(WsSession.#pollDrainOf, DRAIN_POLL_MS, this);
    }
  }

  /** Tells `listener` once when the session stops being sendable. */
  onEnd(listener: EndListener): void {
    if (this.#state >= CLOSING) {
      listener.onSessionEnd();
      return;
    }
    const listeners = this.#endListeners;
    if (listeners === null) this.#endListeners = listener;
    else if (Array.isArray(listeners)) listeners.push(listener);
    else this.#endListeners = [listeners, listener];
  }

  /** Reports an error to the container's logger. */
  logError(message: string, error: unknown): void {
    this.#logger.error(message, error);
  }

  /** Closes the session with a core reason (policy, size, timeout). */
  closeWith(reason: CloseReason): void {
    this.#initiateClose(reason);
  }

  /** How to encode text for this socket, when it takes pre-encoded text (see `SocketLike.sendText`). */
  get textEncoder(): ((text: string) => Uint8Array) | null {
    const socket = this.#socket;
    if (socket.sendText === undefined) return null;
    return socket.encodeText ?? encodeUtf8;
  }

  /** Topic delivery: sends, unless the subscriber is over its backpressure limit (then 1008). */
  deliverPublished(data: string | Uint8Array, utf8: Uint8Array | null): void {
    if (this.#state !== OPEN && this.#state !== OPENING) return;
    if (this.#socket.bufferedAmount > this.#registration.backpressureLimit) {
      this.#initiateClose(CLOSE_BACKPRESSURE);
      return;
    }
    // A failed send of a published message is the connection's end, which its close reports.
    this.transmit(data, utf8);
  }

  /** Native topics: closes the session with 1008 when its buffer is over the backpressure limit. */
  checkBackpressure(): void {
    if (this.#state !== OPEN && this.#state !== OPENING) return;
    if (this.#socket.bufferedAmount > this.#registration.backpressureLimit) this.#initiateClose(CLOSE_BACKPRESSURE);
  }

  // ---- internals --------------------------------------------------------------------------

  #deliverText(text: string): void {
    const onText = this.#endpoint.onText;
    if (onText === undefined) return;
    try {
      const result = onText(this.#sessionObject, text);
      if (result !== undefined && isThenable(result)) result.then(undefined, this.#failCallback());
    } catch (error) {
      this.#fail(error);
    }
  }

  #deliverBinary(data: Uint8Array): void {
    const onBinary = this.#endpoint.onBinary;
    if (onBinary === undefined) return;
    try {
      const result = onBinary(this.#sessionObject, data);
      if (result !== undefined && isThenable(result)) result.then(undefined, this.#failCallback());
    } catch (error) {
      this.#fail(error);
    }
  }

  /**
   * Holds a message that arrived while `onOpen` runs. What is held is bounded by the session's
   * message limits: at most the larger of its text and binary limits, each message counted as
   * its size (a text: its UTF-16 length, a lower bound of its UTF-8 size) plus a fixed
   * overhead, so a flood of empty messages is bounded too. Past the bound the session closes
   * with 1008 and what was held is dropped.
   */
  #hold(message: string | Uint8Array, size: number): void {
    const more = this.#more;
    const limits = this.#limits;
    more.pendingBytes += size + HELD_MESSAGE_OVERHEAD;
    if (more.pendingBytes > Math.max(limits.maxText, limits.maxBinary, PRE_OPEN_MINIMUM)) {
      more.pending = null;
      more.pendingBytes = 0;
      this.#initiateClose(CLOSE_PRE_OPEN_FLOOD);
      return;
    }
    (more.pending ??= []).push(message);
  }

  #openSettled(value: unknown): void {
    const keep = this.#socket.keepSessionObject;
    if (keep !== undefined) {
      try {
        keep.call(this.#socket, this, value);
      } catch (error) {
        this.#openFailed(error);
        return;
      }
    }
    this.#flags &= ~OPEN_CALLBACK_RUNNING;
    this.#sessionObject = value;
    if (this.#state === OPENING) this.#state = OPEN;
    const extras = this.#extras;
    const pending = extras === null ? null : extras.pending;
    if (extras !== null) extras.pending = null;
    // Messages that arrived while onOpen ran are delivered unless the server has started closing.
    if (pending !== null && this.#closeSent === null) {
      for (const message of pending) {
        if (this.#closeSent !== null) break;
        if (typeof message === "string") this.#deliverText(message);
        else this.#deliverBinary(message);
      }
    }
    if (this.#closeReceived !== null && this.#state < CLOSED) this.#scheduleFinish();
  }

  #openFailed(error: unknown): void {
    this.#flags &= ~OPEN_CALLBACK_RUNNING;
    if (this.#extras !== null) this.#extras.pending = null;
    this.#reportError(error);
    if (this.#closeReceived !== null) {
      if (this.#state < CLOSED) this.#scheduleFinish();
      return;
    }
    this.#initiateClose(CLOSE_INTERNAL_ERROR);
  }

  #fail(error: unknown): void {
    if (this.#state >= CLOSED) {
      this.#logger.error(`plinth: a callback of session ${this.id} failed after it closed`, error);
      return;
    }
    this.#reportError(error);
    this.#initiateClose(CLOSE_INTERNAL_ERROR);
  }

  #reportError(error: unknown): void {
    const onError = this.#endpoint.onError;
    if (onError === undefined) {
      this.#logger.error(`plinth: a callback of session ${this.id} failed`, error);
      return;
    }
    try {
      const result = onError(this.#sessionObject, this, error);
      if (result !== undefined && isThenable(result)) {
        result.then(undefined, (e: unknown) => this.#logger.error(`plinth: onError of session ${this.id} failed`, e));
      }
    } catch (e) {
      this.#logger.error(`plinth: onError of session ${this.id} failed`, e);
    }
  }

  #initiateClose(reason: CloseReason): void {
    if (this.#state >= CLOSING || this.#state === CONNECTING) return;
    this.#closeSent = reason;
    this.#leaveOpen();
    // A peer that never answers (it stopped reading) must not hold the session open.
    this.#more.closeTimer = setTimeout(WsSession.#terminateOf, CLOSE_HANDSHAKE_TIMEOUT_MS, this);
    try {
      this.#socket.close(reason.code, reason.reasonPhrase);
    } catch (error) {
      this.#logger.error(`plinth: closing session ${this.id} failed`, error);
      this.receiveClose(CloseCodes.CLOSED_ABNORMALLY, "");
    }
  }

  /** The session stops being open: no more sends, topics or idle timer. */
  #leaveOpen(): void {
    if (this.#state >= CLOSING) return;
    this.#state = CLOSING;
    this.#registration.openSessions.delete(this);
    this.#scope?.leftOpen(this);
    this.#stopWatchingIdle();
    if (this.#topics !== null) {
      const table = this.#registration.container.topics;
      for (const topic of this.#topics) table.unsubscribe(topic, this);
      this.#topics = null;
    }
    const listeners = this.#endListeners;
    this.#endListeners = null;
    if (Array.isArray(listeners)) for (const listener of listeners) listener.onSessionEnd();
    else listeners?.onSessionEnd();
    this.drained();
  }

  /**
   * Runs `onClose` on a later macrotask, never inside the call that ended the session: a
   * runtime that reports the close synchronously inside `socket.close()` (Bun) would otherwise
   * run `onClose` inside the endpoint's `session.close()`, or inside `onOpen`. By then every
   * microtask queued before it (send results the endpoint awaits) has run; sends still waiting
   * behind a Blob settle first too.
   */
  #scheduleFinish(): void {
    if ((this.#flags & FINISH_SCHEDULED) !== 0) return;
    this.#flags |= FINISH_SCHEDULED;
    setTimeout(WsSession.#finishOf, 0, this);
  }

  #finishWhenSendsSettled(): void {
    if (this.#state >= CLOSED) return;
    const tail = this.#extras?.sendTail ?? null;
    if (tail === null) this.#finish();
    else void tail.then(WsSession.#finishAfterSends.bind(this));
  }

  #finish(): void {
    this.#state = CLOSED;
    const extras = this.#extras;
    if (extras !== null) {
      if (extras.drainPoll !== undefined) clearTimeout(extras.drainPoll);
      extras.drainPoll = undefined;
      if (extras.closeTimer !== undefined) clearTimeout(extras.closeTimer);
      extras.closeTimer = undefined;
    }
    this.#scope?.delete(this);
    const reason = this.#finalReason();
    const onClose = this.#endpoint.onClose;
    if (onClose === undefined) {
      this.#settleClosed();
      return;
    }
    try {
      const result = onClose(this.#sessionObject, this, reason);
      if (result !== undefined && isThenable(result)) {
        result.then(() => this.#settleClosed(), (error: unknown) => this.#closeCallbackFailed(error));
      } else {
        this.#settleClosed();
      }
    } catch (error) {
      this.#closeCallbackFailed(error);
    }
  }

  #closeCallbackFailed(error: unknown): void {
    this.#logger.error(`plinth: onClose of session ${this.id} failed`, error);
    this.#settleClosed();
  }

  #pollDrain(): void {
    const more = this.#more;
    more.drainPoll = undefined;
    this.drained();
    if (more.drainWaiters !== null && this.#state < CLOSED) {
      more.drainPoll = setTimeout(WsSession.#pollDrainOf, DRAIN_POLL_MS, this);
    }
  }
}

/** The part of a session's state that most sessions never touch (see `WsSession.#extras`). */
class SessionExtras {
  /** Messages that arrived while `onOpen` ran. */
  pending: (string | Uint8Array)[] | null = null;
  /** What `pending` holds, counted against the pre-open bound (see `#hold`). */
  pendingBytes = 0;
  /** A close to start once the socket opens and `onOpen` ran (a shutdown began before). */
  closeOnOpen: CloseReason | null = null;
  request: Request | undefined = undefined;
  requestURI: URL | undefined = undefined;
  userProperties: Map<string, unknown> | undefined = undefined;
  closed: Promise<CloseReason> | undefined = undefined;
  resolveClosed: ((reason: CloseReason) => void) | undefined = undefined;
  drainWaiters: DrainWaiter[] | null = null;
  drainPoll: ReturnType<typeof setTimeout> | undefined = undefined;
  closeTimer: ReturnType<typeof setTimeout> | undefined = undefined;
  id: string | undefined = undefined;
  /** Sends that wait behind a Blob being read, to keep send order. */
  sendTail: Promise<unknown> | null = null;
  /** Reports a rejected callback promise (made once, on the first async callback). */
  fail: ((error: unknown) => void) | undefined = undefined;
}

/** The limits a session enforces: its endpoint's registration, or its own once changed. */
interface SessionLimits {
  readonly idleTimeoutMs: number;
  readonly maxText: number;
  readonly maxBinary: number;
}

/** A session's own limits, after `session.maxIdleTimeout` or a message-size limit was set. */
class OwnLimits implements SessionLimits {
  constructor(public idleTimeoutMs: number, public maxText: number, public maxBinary: number) {}
}

const EMPTY_TOPICS: ReadonlySet<string> = new Set();
const UTF8 = new TextEncoder();
const encodeUtf8 = (text: string): Uint8Array => UTF8.encode(text);

function freezeParameters(parameters: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  if (parameters === NO_PATH_PARAMETERS) return parameters;
  for (const _ in parameters) return Object.freeze(parameters);
  return NO_PATH_PARAMETERS;
}

/** The sending side of a session. */
class Remote implements RemoteEndpoint {
  readonly #session: WsSession;

  constructor(session: WsSession) {
    this.#session = session;
  }

  /** @throws {TypeError} when `text` is not a string */
  sendText(text: string): Promise<SendResult> {
    if (typeof text !== "string") throw new TypeError(`sendText: text must be a string, got ${describe(text)}`);
    return this.#session.transmitAsync(text);
  }

  /** @throws {TypeError} when `data` is not an ArrayBuffer, view or Blob */
  sendBinary(data: ArrayBuffer | ArrayBufferView | Blob): Promise<SendResult> {
    if (data instanceof Blob) return this.#session.transmitAsync(data);
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) {
      throw new TypeError(`sendBinary: data must be an ArrayBuffer, ArrayBufferView or Blob, got ${describe(data)}`);
    }
    return this.#session.transmitAsync(toFrameData(data) as Uint8Array);
  }

  get bufferedAmount(): number {
    return this.#session.bufferedAmount;
  }
}

/** Whether `value` has a callable `then`. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && typeof value === "object" && typeof (value as { then?: unknown }).then === "function";
}
