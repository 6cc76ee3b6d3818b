/**
 * The Cloudflare adapter: serves a plinth container on workerd, in a Worker
 * alone (`handler`) or in Durable Objects (`durableObject`, with the
 * hibernation API when `hibernate: true`) behind a Worker that routes each
 * upgrade to its object (`routeToDurableObject`).
 *
 * What the platform cannot do is not faked: workerd has no `bufferedAmount`
 * (no send backpressure: sends are handed over at once and the remote's
 * `bufferedAmount` is always 0), no server-side pings (no heartbeat), and it
 * drops `Upgrade: websocket` from a 426 response. Under hibernation an idle
 * timeout is not enforced (a timer would keep the object awake). See
 * `docs/cloudflare.md`.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import type { Session } from "@plinth/websocket";
 * import { durableObject, routeToDurableObject } from "@plinth/websocket/cloudflare";
 *
 * const container = createContainer();
 * addEndpoint<Session>(container, "/rooms/{room}", {
 *   onOpen: (session) => {
 *     session.subscribe("room");
 *     return session;
 *   },
 *   onText: (session, text) => session.publish("room", text),
 * });
 *
 * class Rooms extends durableObject(container, { hibernate: true }) {}
 * const worker = {
 *   fetch: routeToDurableObject(container, "ROOMS", {
 *     name: (_request, match) => match.pathParameters.room ?? "lobby",
 *   }),
 * };
 * // the Worker's module exports both: `export { Rooms }; export default worker;`
 * ```
 *
 * @module
 */
import { forkContainer, stateOf } from "../src/container.ts";
import type { ServerContainer } from "../src/container.ts";
import type { AcceptedUpgrade } from "../src/handshake.ts";
import { requestPathname } from "../src/path_template.ts";
import { copyRequest } from "../src/request_copy.ts";
import { answerWithFallback, routeRequest } from "../src/serve.ts";
import type { Fallback } from "../src/serve.ts";
import { isThenable, WsSession } from "../src/session.ts";
import type { SessionInit } from "../src/session.ts";
import type { SocketLike } from "../src/socket.ts";
import type { Session } from "../src/types.ts";
import { assertFunction, describe } from "../src/validate.ts";

export type { Fallback };

/**
 * What plinth uses of a workerd `WebSocket` (typed here, so the adapter needs
 * no platform types to compile).
 *
 * @example
 * ```ts
 * import type { WorkerdWebSocket } from "@plinth/websocket/cloudflare";
 * const isOpen = (ws: WorkerdWebSocket) => ws.readyState === 1;
 * ```
 */
export interface WorkerdWebSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** How binary messages arrive: `"arraybuffer"` (plinth sets it) or `"blob"`. */
  binaryType?: string;
  /** Accepts the socket with the standard API (events through `addEventListener`). */
  accept(): void;
  /** Sends one message. */
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Starts or answers the closing handshake. */
  close(code?: number, reason?: string): void;
  /** Listens to the standard API's events. */
  addEventListener(type: "message" | "close" | "error", listener: { handleEvent(event: never): void }): void;
  /** Keeps a structured-cloneable value with the socket across hibernation (at most 16 KiB). */
  serializeAttachment(value: unknown): void;
  /** The value last kept with `serializeAttachment`. */
  deserializeAttachment(): unknown;
}

/**
 * What plinth uses of a Durable Object's `ctx` (`DurableObjectState`).
 *
 * @example
 * ```ts
 * import type { DurableObjectContext } from "@plinth/websocket/cloudflare";
 * const sockets = (ctx: DurableObjectContext) => ctx.getWebSockets().length;
 * ```
 */
export interface DurableObjectContext {
  /** Accepts a socket with the hibernation API. */
  acceptWebSocket(ws: WorkerdWebSocket, tags?: string[]): void;
  /** The sockets accepted with the hibernation API that are still open. */
  getWebSockets(tag?: string): WorkerdWebSocket[];
}

/**
 * What plinth uses of a Durable Object namespace binding.
 *
 * @example
 * ```ts
 * import type { DurableObjectNamespaceLike } from "@plinth/websocket/cloudflare";
 * const stubFor = (ns: DurableObjectNamespaceLike, name: string) => ns.get(ns.idFromName(name));
 * ```
 */
export interface DurableObjectNamespaceLike {
  /** The id of the object with this name. */
  idFromName(name: string): unknown;
  /** A stub to send requests to the object. */
  get(id: unknown): { fetch(request: Request): Promise<Response> };
}

/**
 * A Worker's `fetch` handler.
 *
 * @example
 * ```ts
 * import type { WorkerFetch } from "@plinth/websocket/cloudflare";
 * const fetch: WorkerFetch = () => Promise.resolve(new Response("ok"));
 * ```
 */
export type WorkerFetch = (request: Request, env?: unknown, ctx?: unknown) => Promise<Response>;

/** The attachment is read back only when it carries this mark. */
const ATTACHMENT_VERSION = "plinth/1";
/** workerd's limit on a socket's attachment. */
export const MAX_ATTACHMENT_BYTES = 16 * 1024;

/** What a hibernating session keeps in its socket's attachment. */
interface Attachment {
  readonly v: typeof ATTACHMENT_VERSION;
  readonly id: string;
  readonly url: string;
  /** The upgrade request's headers; dropped (null) when they alone would not fit. */
  readonly headers: [string, string][] | null;
  readonly params: Record<string, string>;
  readonly protocol: string;
  readonly topics: string[];
  /** User properties that differ from the endpoint config's. */
  readonly props: [string, unknown][];
  /** The session object; `self` when it was the session itself. */
  readonly self: boolean;
  readonly object: unknown;
}

const WS_OPEN = 1;

/** Each session's socket wrapper (weak: no state kept for a session that is gone). */
const socketOfSession = new WeakMap<WsSession, WorkerdSocket>();

/** The WebSocketPair constructor workerd provides. */
function newWebSocketPair(): [WorkerdWebSocket, WorkerdWebSocket] {
  const Pair = (globalThis as unknown as { WebSocketPair?: new () => Record<0 | 1, WorkerdWebSocket> }).WebSocketPair;
  if (Pair === undefined) throw new Error("plinth/cloudflare: WebSocketPair is not available (not running on workerd)");
  const pair = new Pair();
  return [pair[0], pair[1]];
}

/** A workerd `WebSocket` as the core drives it. */
class WorkerdSocket implements SocketLike {
  readonly #ws: WorkerdWebSocket;
  readonly hibernates: boolean;
  /**
   * While `onOpen` runs synchronously in the fetch that accepts the socket (hibernation only), sends
   * and a close wait here, and the socket is not accepted yet (see `acceptHibernating`).
   */
  #held: (string | Uint8Array)[] | null = null;
  #heldClose: [number, string] | null = null;
  /** This side sent its close frame: the peer's close is then the answer, not a request to answer. */
  #closeSent = false;
  /** Messages wait here behind a Blob being read, to keep arrival order. */
  #tail: Promise<void> | null = null;
  session: WsSession | null = null;

  /** Ties the socket to its session (and the session to it, for {@linkcode saveSession}). */
  attach(session: WsSession): WsSession {
    this.session = session;
    socketOfSession.set(session, this);
    return session;
  }

  /** Saves the session's current state in the attachment (hibernation only). */
  save(session: WsSession): void {
    if (this.hibernates) saveAttachment(this.#ws, session, session.sessionObject);
  }

  constructor(ws: WorkerdWebSocket, hibernates: boolean) {
    this.#ws = ws;
    this.hibernates = hibernates;
  }

  /** workerd does not expose how much it holds for the client: always 0 (no backpressure). */
  get bufferedAmount(): number {
    return 0;
  }

  send(data: string | Uint8Array): number {
    if (this.#held !== null) {
      if (this.#heldClose !== null) return 0;
      this.#held.push(data);
      return 1;
    }
    if (this.#ws.readyState !== WS_OPEN) return 0;
    this.#ws.send(data);
    return 1;
  }

  close(code: number, reason: string): void {
    if (this.#held !== null) {
      this.#heldClose ??= [code, reason];
      return;
    }
    this.#closeSent = true;
    this.#ws.close(code, reason);
  }

  terminate(): void {
    // workerd has no abort: the closest is a close without a code.
    this.#closeSent = true;
    try {
      this.#ws.close();
    } catch {
      // already closed
    }
  }

  /** Holds sends and a close until {@linkcode release} (the socket is not accepted yet). */
  hold(): void {
    this.#held = [];
  }

  /** Whether a close was asked for while held. */
  get closeHeld(): boolean {
    return this.#heldClose !== null;
  }

  /** The socket was accepted: sends what was held, then the held close. */
  release(): void {
    const held = this.#held ?? [];
    const close = this.#heldClose;
    this.#held = null;
    this.#heldClose = null;
    try {
      for (const data of held) this.#ws.send(data);
      if (close !== null) this.close(close[0], close[1]);
    } catch (error) {
      this.session?.logError("plinth: sending after the upgrade failed", error);
    }
  }

  keepSessionObject(session: WsSession, sessionObject: unknown): void {
    if (!this.hibernates) return;
    saveAttachment(this.#ws, session, sessionObject);
  }

  topicsChanged(session: WsSession): void {
    if (!this.hibernates || !session.isOpen) return;
    try {
      saveAttachment(this.#ws, session, session.sessionObject);
    } catch (error) {
      session.logError(`plinth: saving the topics of session ${session.id} failed`, error);
    }
  }

  /** A message from workerd: text, an ArrayBuffer, or (compatibility dates from 2026-03-17) a Blob. */
  receive(data: unknown): void {
    const session = this.session;
    if (session === null) return;
    if (this.#tail === null && !(data instanceof Blob)) {
      deliver(session, data);
      return;
    }
    const tail: Promise<void> = (this.#tail ?? Promise.resolve()).then(async () => {
      deliver(session, data instanceof Blob ? await data.arrayBuffer() : data);
    }).catch((error) => session.logError("plinth: reading a binary message failed", error));
    this.#tail = tail;
    void tail.then(() => {
      if (this.#tail === tail) this.#tail = null;
    });
  }

  /** The peer closed (or the connection dropped): answer its close where workerd does not, then end the session. */
  receiveClose(code: number, reason: string): void {
    if (!this.#closeSent) answerClose(this.#ws, code, reason);
    this.session?.receiveClose(code, reason);
  }
}

function deliver(session: WsSession, data: unknown): void {
  if (typeof data === "string") session.receiveText(data);
  else if (data instanceof ArrayBuffer) session.receiveBinary(new Uint8Array(data));
  else if (ArrayBuffer.isView(data)) session.receiveBinary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Completes the closing handshake the peer started. Before compatibility date 2026-04-07 workerd
 * leaves that to the server (else the client waits for a close frame that never comes); from then
 * on it answers by itself, and a second close is refused, which is ignored here. A peer's 1005
 * (no code) is answered with a close without a code (1005 cannot be sent); 1006 has nobody to answer.
 */
function answerClose(ws: WorkerdWebSocket, code: number, reason: string): void {
  if (code === 1006) return;
  try {
    if (code === 1005) ws.close();
    else ws.close(code, reason);
  } catch {
    try {
      ws.close();
    } catch {
      // workerd answered already, or the socket is gone
    }
  }
}

/** Feeds an accepted (not hibernating) socket's events to its session. */
class SocketEvents {
  readonly #socket: WorkerdSocket;
  constructor(socket: WorkerdSocket) {
    this.#socket = socket;
  }
  handleEvent(event: { readonly type: string; readonly data?: unknown; readonly code?: number; readonly reason?: string }): void {
    switch (event.type) {
      case "message":
        this.#socket.receive(event.data);
        break;
      case "close":
        this.#socket.receiveClose(event.code ?? 1005, event.reason ?? "");
        break;
      case "error":
        this.#socket.receiveClose(1006, "");
        break;
    }
  }
}

/** Saves what a hibernating session needs after a wake-up in its socket's attachment. */
function saveAttachment(ws: WorkerdWebSocket, session: WsSession, sessionObject: unknown): void {
  const config = session.registration.config;
  const props: [string, unknown][] = [];
  for (const [key, value] of session.userProperties) {
    if (!config.userProperties.has(key) || config.userProperties.get(key) !== value) props.push([key, value]);
  }
  const self = sessionObject === session;
  const headers: [string, string][] = [];
  session.request.headers.forEach((value, key) => headers.push([key, value]));
  const attachment: Attachment = {
    v: ATTACHMENT_VERSION,
    id: session.id,
    url: session.requestURI.href,
    headers,
    params: { ...session.pathParameters },
    protocol: session.negotiatedSubprotocol,
    topics: [...session.topics],
    props,
    self,
    object: self ? undefined : sessionObject,
  };
  try {
    ws.serializeAttachment(attachment);
    return;
  } catch (error) {
    try {
      // The request headers are the part most likely to be large: keep the rest without them.
      ws.serializeAttachment({ ...attachment, headers: null });
      return;
    } catch {
      // report the first failure
    }
    const why = error instanceof Error ? error.message : String(error);
    throw new TypeError(
      `plinth/cloudflare: session ${session.id} of ${config.path} cannot be kept across hibernation: ` +
        `its session object (the value onOpen returned), topics and user properties must be structured-cloneable ` +
        `and fit in ${MAX_ATTACHMENT_BYTES} bytes with the socket's other state; return the session itself, or ` +
        `plain data (${why})`,
    );
  }
}

function isAttachment(value: unknown): value is Attachment {
  return typeof value === "object" && value !== null && (value as { v?: unknown }).v === ATTACHMENT_VERSION;
}

/** The session of a socket, rebuilt from its attachment after a wake-up. */
function rebuildSession(
  state: ReturnType<typeof stateOf>,
  ws: WorkerdWebSocket,
  attachment: Attachment,
): WsSession | null {
  const match = state.match(requestPathname(attachment.url));
  if (match === null) return null;
  const request = new Request(attachment.url, { headers: attachment.headers ?? [] });
  const init: SessionInit = {
    registration: match.registration,
    requestCopy: copyRequest(request),
    pathParameters: attachment.params,
    protocol: attachment.protocol,
    scope: null,
  };
  const socket = new WorkerdSocket(ws, true);
  const session = socket.attach(new WsSession(init, socket, false));
  const props = new Map(match.registration.config.userProperties);
  for (const [key, value] of attachment.props) props.set(key, value);
  session.resume(attachment.id, attachment.self ? session : attachment.object, props, attachment.topics);
  return session;
}

/** Makes the 101 response for an accepted upgrade with the client end of a pair. */
function switchingProtocols(accepted: AcceptedUpgrade, client: WorkerdWebSocket): Response {
  const headers = new Headers();
  if (accepted.hasHeaders) accepted.headers.forEach((value, key) => headers.set(key, value));
  if (accepted.protocol !== "") headers.set("sec-websocket-protocol", accepted.protocol);
  return new Response(null, { status: 101, webSocket: client, headers } as ResponseInit);
}

/** What plinth uses of a Worker's `ctx` (`ExecutionContext`). */
interface WaitUntil {
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * Accepts an upgrade with the standard API (`accept()`): a Worker alone, or an object that does not
 * hibernate. `lifetime`: a Worker's `ctx`, kept alive until `onClose` has run (workerd cancels a
 * request's timers once its sockets are gone, and `onClose` runs on a later macrotask).
 */
function acceptStandard(accepted: AcceptedUpgrade, lifetime?: WaitUntil): Response {
  const [client, server] = newWebSocketPair();
  server.binaryType = "arraybuffer";
  server.accept();
  const socket = new WorkerdSocket(server, false);
  const session = socket.attach(accepted.connect(socket, false));
  const events = new SocketEvents(socket);
  server.addEventListener("message", events);
  server.addEventListener("close", events);
  server.addEventListener("error", events);
  const response = switchingProtocols(accepted, client);
  if (lifetime !== undefined && typeof lifetime.waitUntil === "function") lifetime.waitUntil(session.closed);
  session.opened();
  return response;
}

const orUpgradeFailed = (response: Response | undefined): Response =>
  response ?? new Response("Upgrade failed", { status: 500 });

/**
 * A Worker's `fetch` handler for a container, without Durable Objects:
 * WebSocket upgrades to its endpoints, everything else to `fallback`
 * (default 404). Sessions live in the isolate that accepted them, and
 * workerd lets a request use only its own sockets: `openSessions`,
 * topics and `container.publish` reach no further than the
 * connection's own request. Use Durable Objects for rooms.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import type { Session } from "@plinth/websocket";
 * import { handler } from "@plinth/websocket/cloudflare";
 *
 * const container = createContainer();
 * addEndpoint<Session>(container, "/echo", {
 *   onOpen: (session) => session,
 *   onText: (session, text) => void session.asyncRemote.sendText(text),
 * });
 * const worker = { fetch: handler(container, () => new Response("hello")) };
 * // the Worker's module: `export default worker;`
 * ```
 */
export function handler(container: ServerContainer, fallback?: Fallback): WorkerFetch {
  stateOf(container);
  if (fallback !== undefined) assertFunction(fallback, "fallback");
  return (request, _env, ctx) => {
    try {
      const lifetime = ctx as WaitUntil | undefined;
      const routed = routeRequest(container, request, null, fallback, (accepted) => acceptStandard(accepted, lifetime));
      return Promise.resolve(isThenable(routed) ? routed.then(orUpgradeFailed) : orUpgradeFailed(routed));
    } catch (error) {
      return Promise.resolve(internalError(container, error));
    }
  };
}

function internalError(container: ServerContainer, error: unknown): Response {
  stateOf(container).options.logger.error("plinth: a request failed", error);
  return new Response("Internal Server Error", { status: 500 });
}

/**
 * Options of {@linkcode durableObject}.
 *
 * @example
 * ```ts
 * import type { DurableObjectOptions } from "@plinth/websocket/cloudflare";
 * const options: DurableObjectOptions = { hibernate: true };
 * ```
 */
export interface DurableObjectOptions {
  /**
   * Use the hibernation API (`ctx.acceptWebSocket`): connections stay open while the object
   * sleeps, and sessions are rebuilt from their sockets' attachments when it wakes.
   * @default {false}
   */
  hibernate?: boolean;
  /**
   * Serves requests that reach the object but no endpoint.
   * @default {undefined} a 404
   */
  fallback?: Fallback;
}

/**
 * The Durable Object class {@linkcode durableObject} returns, for a class to extend.
 *
 * @example
 * ```ts
 * import type { PlinthDurableObject } from "@plinth/websocket/cloudflare";
 * const count = (object: PlinthDurableObject) => object.container;
 * ```
 */
export interface PlinthDurableObject {
  /** The object's own copy of the container: its own sessions, topics and counts. */
  readonly container: ServerContainer;
  /** Serves a request routed to this object: upgrades to the container's endpoints, else the fallback. */
  fetch(request: Request): Promise<Response>;
  /** Hibernation API: a message on one of this object's sockets. */
  webSocketMessage(ws: WorkerdWebSocket, message: string | ArrayBuffer): void;
  /** Hibernation API: a socket closed (the peer's close, or 1006). */
  webSocketClose(ws: WorkerdWebSocket, code: number, reason: string, wasClean: boolean): void;
  /** Hibernation API: a socket failed. */
  webSocketError(ws: WorkerdWebSocket, error: unknown): void;
}

/**
 * A Durable Object class serving `container`, to extend and export:
 * `export class Rooms extends durableObject(container, { hibernate: true }) {}`.
 * Each object serves its own sessions (its own `openSessions`, topics and
 * `maxSessions`), though objects of one class share an isolate.
 *
 * With `hibernate: true`, each session is saved in its socket's attachment
 * (id, path parameters, subprotocol, topics, user properties that differ
 * from the config's, and the session object; at most 16 KiB) when `onOpen`
 * settles and when its topics change, and rebuilt from it after a wake-up; a
 * session object that cannot be saved closes the session with 1011 and
 * `onError` gets a `TypeError` saying why. Changes made later to a session
 * object or user properties are saved by {@linkcode saveSession}.
 *
 * @throws {TypeError} when `container` or an option is wrong
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { durableObject, routeToDurableObject } from "@plinth/websocket/cloudflare";
 *
 * const container = createContainer();
 * addEndpoint(container, "/rooms/{room}", {
 *   onOpen: (session) => ({ room: session.pathParameters.room }),
 * });
 * class Rooms extends durableObject(container, { hibernate: true }) {}
 * const worker = {
 *   fetch: routeToDurableObject(container, "ROOMS", { name: (_request, match) => match.pathParameters.room ?? "" }),
 * };
 * // the Worker's module exports both: `export { Rooms }; export default worker;`
 * ```
 */
export function durableObject(
  container: ServerContainer,
  options: DurableObjectOptions = {},
): new (ctx: DurableObjectContext, env: unknown) => PlinthDurableObject {
  stateOf(container);
  if (options === null || typeof options !== "object") {
    throw new TypeError(`durableObject: options must be an object, got ${describe(options)}`);
  }
  if (options.hibernate !== undefined && typeof options.hibernate !== "boolean") {
    throw new TypeError(`durableObject: options.hibernate must be a boolean, got ${describe(options.hibernate)}`);
  }
  if (options.fallback !== undefined) assertFunction(options.fallback, "options.fallback");
  const hibernate = options.hibernate === true;
  const fallback = options.fallback;

  return class PlinthObject implements PlinthDurableObject {
    readonly container: ServerContainer;
    readonly ctx: DurableObjectContext;
    readonly env: unknown;
    /** Sessions by socket: the object's own, never shared with another object. */
    readonly #sessions = new Map<WorkerdWebSocket, WorkerdSocket>();
    readonly #accept: (accepted: AcceptedUpgrade) => Response;

    constructor(ctx: DurableObjectContext, env: unknown) {
      this.ctx = ctx;
      this.env = env;
      this.container = forkContainer(container);
      this.#accept = hibernate ? (accepted) => this.#acceptHibernating(accepted) : (accepted) => acceptStandard(accepted);
      if (hibernate) {
        // A wake-up: the sockets that stayed open get their sessions back before any event.
        for (const ws of ctx.getWebSockets()) this.#socketOf(ws);
      }
    }

    fetch(request: Request): Promise<Response> {
      try {
        const routed = routeRequest(this.container, request, null, fallback, this.#accept);
        return Promise.resolve(isThenable(routed) ? routed.then(orUpgradeFailed) : orUpgradeFailed(routed));
      } catch (error) {
        return Promise.resolve(internalError(this.container, error));
      }
    }

    #acceptHibernating(accepted: AcceptedUpgrade): Response {
      const [client, server] = newWebSocketPair();
      server.binaryType = "arraybuffer";
      const socket = new WorkerdSocket(server, true);
      const session = socket.attach(accepted.connect(socket, false));
      const response = switchingProtocols(accepted, client);
      // workerd quirk: a hibernatable socket closed before its client sent anything leaves the
      // client in CLOSING (the connection is never ended). So the synchronous part of onOpen runs
      // first, with sends and close held: a session that closes right away is accepted with the
      // standard API (which closes properly), any other is handed to hibernation.
      socket.hold();
      session.opened();
      if (socket.closeHeld) {
        server.accept();
        const events = new SocketEvents(socket);
        server.addEventListener("message", events);
        server.addEventListener("close", events);
        server.addEventListener("error", events);
      } else {
        this.ctx.acceptWebSocket(server);
        this.#sessions.set(server, socket);
      }
      socket.release();
      return response;
    }

    /** The socket's session: known, or rebuilt from its attachment after a wake-up. */
    #socketOf(ws: WorkerdWebSocket): WorkerdSocket | null {
      const known = this.#sessions.get(ws);
      if (known !== undefined) return known;
      let attachment: unknown;
      try {
        attachment = ws.deserializeAttachment();
      } catch {
        return null;
      }
      if (!isAttachment(attachment)) return null;
      const session = rebuildSession(stateOf(this.container), ws, attachment);
      if (session === null) return null;
      const socket = socketOfSession.get(session)!;
      this.#sessions.set(ws, socket);
      return socket;
    }

    webSocketMessage(ws: WorkerdWebSocket, message: string | ArrayBuffer): void {
      this.#socketOf(ws)?.receive(message);
    }

    webSocketClose(ws: WorkerdWebSocket, code: number, reason: string, _wasClean: boolean): void {
      const socket = this.#socketOf(ws);
      this.#sessions.delete(ws);
      if (socket === null) answerClose(ws, code, reason);
      else socket.receiveClose(code, reason);
    }

    webSocketError(ws: WorkerdWebSocket, _error: unknown): void {
      const socket = this.#socketOf(ws);
      this.#sessions.delete(ws);
      socket?.session?.receiveClose(1006, "");
    }
  };
}


/**
 * Saves a hibernating session's current state (session object, user
 * properties, topics) in its socket's attachment, so a wake-up rebuilds it
 * as it is now. Call it after changing a session object or user property
 * that must survive hibernation; elsewhere it does nothing.
 *
 * @throws {TypeError} when the state cannot be stored (not structured-cloneable, or over 16 KiB)
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import type { Session } from "@plinth/websocket";
 * import { saveSession } from "@plinth/websocket/cloudflare";
 *
 * const container = createContainer();
 * addEndpoint<{ name: string; session: Session }>(container, "/chat", {
 *   onOpen: (session) => ({ name: "anonymous", session }),
 *   onText: (state, text) => {
 *     state.name = text;
 *     saveSession(state.session);
 *   },
 * });
 * ```
 */
export function saveSession(session: Session): void {
  if (!(session instanceof WsSession)) throw new TypeError(`saveSession: session must be a plinth session, got ${describe(session)}`);
  const socket = socketOfSession.get(session);
  if (socket === undefined || !session.isOpen) return;
  socket.save(session);
}

/**
 * The endpoint a request reached, as {@linkcode RouteOptions.name} sees it.
 *
 * @example
 * ```ts
 * import type { EndpointMatch } from "@plinth/websocket/cloudflare";
 * const room = (match: EndpointMatch) => match.pathParameters.room ?? "lobby";
 * ```
 */
export interface EndpointMatch {
  /** The endpoint's path as registered (`/rooms/{room}`). */
  readonly path: string;
  /** Values of the path template's variables. */
  readonly pathParameters: Readonly<Record<string, string>>;
}

/**
 * Options of {@linkcode routeToDurableObject}.
 *
 * @example
 * ```ts
 * import type { RouteOptions } from "@plinth/websocket/cloudflare";
 * const options: RouteOptions = { name: (_request, match) => match.pathParameters.room ?? "lobby" };
 * ```
 */
export interface RouteOptions {
  /**
   * The object's name for a request to an endpoint (`idFromName`).
   * @default {undefined} the request's path
   */
  name?: (request: Request, match: EndpointMatch) => string;
  /**
   * Serves requests that reach no endpoint (with the Worker's `env`, for its bindings).
   * @default {undefined} a 404
   */
  fallback?: (request: Request, env: Record<string, unknown>) => Response | Promise<Response>;
}

/**
 * The Worker in front of a {@linkcode durableObject}: sends each request to
 * one of the container's endpoints to the object `options.name` picks (by
 * default one object per path) through the namespace bound as `binding`,
 * and everything else to `options.fallback` (default 404). The object runs
 * the handshake rules.
 *
 * @throws {TypeError} when an argument is wrong
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { durableObject, routeToDurableObject } from "@plinth/websocket/cloudflare";
 *
 * const container = createContainer();
 * addEndpoint(container, "/rooms/{room}", { onText: (_s, text) => console.log(text) });
 * class Rooms extends durableObject(container, { hibernate: true }) {}
 * const worker = {
 *   fetch: routeToDurableObject(container, "ROOMS", { name: (_request, match) => match.pathParameters.room ?? "" }),
 * };
 * // the Worker's module exports both: `export { Rooms }; export default worker;`
 * ```
 */
export function routeToDurableObject(
  container: ServerContainer,
  binding: string,
  options: RouteOptions = {},
): (request: Request, env: Record<string, unknown>) => Promise<Response> {
  const state = stateOf(container);
  if (typeof binding !== "string" || binding === "") {
    throw new TypeError(`routeToDurableObject: binding must be a non-empty string, got ${describe(binding)}`);
  }
  if (options === null || typeof options !== "object") {
    throw new TypeError(`routeToDurableObject: options must be an object, got ${describe(options)}`);
  }
  if (options.name !== undefined) assertFunction(options.name, "options.name");
  if (options.fallback !== undefined) assertFunction(options.fallback, "options.fallback");
  const name = options.name ?? ((request: Request) => requestPathname(request.url));
  const fallback = options.fallback;
  return async (request, env) => {
    const match = state.match(requestPathname(request.url));
    if (match === null) {
      return answerWithFallback(container, fallback === undefined ? undefined : (r) => fallback(r, env), request);
    }
    const namespace = env?.[binding] as DurableObjectNamespaceLike | undefined;
    if (namespace === undefined || typeof namespace.idFromName !== "function") {
      return internalError(container, new TypeError(`routeToDurableObject: env.${binding} is not a Durable Object namespace`));
    }
    let objectName: string;
    try {
      objectName = name(request, { path: match.registration.config.path, pathParameters: match.pathParameters });
      if (typeof objectName !== "string") throw new TypeError(`options.name must return a string, got ${describe(objectName)}`);
    } catch (error) {
      return internalError(container, error);
    }
    return namespace.get(namespace.idFromName(objectName)).fetch(request);
  };
}

