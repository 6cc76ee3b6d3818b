import type { ContainerState, EndpointRegistration } from "./container.ts";
import { NO_PATH_PARAMETERS, requestPathname } from "./path_template.ts";
import { copyRequest } from "./request_copy.ts";
import type { RequestCopy } from "./request_copy.ts";
import { isThenable, WsSession } from "./session.ts";
import type { PendingOpen, SessionInit, SessionScope } from "./session.ts";
import type { CloseReason } from "./close_reason.ts";
import type { SocketLike } from "./socket.ts";

/** A handshake the endpoint accepted: what the adapter needs to finish the upgrade. */
export class AcceptedUpgrade implements SessionInit, PendingOpen {
  constructor(
    /** The endpoint. */
    readonly registration: EndpointRegistration,
    /** The upgrade request. */
    readonly request: Request,
    /** Values of the template's variables. */
    readonly pathParameters: Record<string, string>,
    /** The negotiated subprotocol; `""` when none, and then no `Sec-WebSocket-Protocol` header is sent. */
    readonly protocol: string,
    /** Extra headers for the 101 response, from `modifyHandshake`. */
    readonly headers: Headers,
    /** Where the session is tracked for shutdown. */
    readonly scope: SessionScope | null,
    /** The request's headers as Node's flat `[name, value, …]` list, when the adapter has it. */
    rawHeaders?: readonly string[],
  ) {
    this.requestCopy = copyRequest(request, rawHeaders);
    // Tracked from now on: a shutdown that begins before the socket opens still closes its session.
    scope?.opening(this);
  }

  /** A shutdown's close, for the session once it exists; and what a shutdown waiting on this settles with. */
  #closeOnOpen: CloseReason | null = null;
  #settle: (() => void) | null = null;
  #closed: Promise<unknown> | null = null;
  #session: WsSession | null = null;

  /** Once the session exists and opened: run `onOpen`, then close with `reason`. */
  closeOnOpen(reason: CloseReason): void {
    if (this.#session === null) this.#closeOnOpen = reason;
  }

  /** Settles once the session closed, or the connection never got one. */
  get closed(): Promise<unknown> {
    return this.#closed ??= this.#session !== null
      ? this.#session.closed
      : new Promise<void>((resolve) => (this.#settle = resolve));
  }

  /** Gives up on this connection (a shutdown timed out). */
  terminate(): void {
    if (this.#session !== null) this.#session.terminate();
    else this.abandon();
  }

  /** The upgrade failed, or the connection ended before its socket opened: no session will come. */
  abandon(): void {
    this.scope?.notOpening(this);
    const settle = this.#settle;
    this.#settle = null;
    settle?.();
  }

  /** What the session keeps of the request, taken now: runtimes consume the request on upgrade. */
  readonly requestCopy: RequestCopy;

  /** Whether `modifyHandshake` may have added headers to the 101 (else `headers` is a shared empty set). */
  get hasHeaders(): boolean {
    return this.headers !== NO_HEADERS;
  }

  /**
   * Whether a runtime that splits the offer on `", "` only (Deno's
   * `upgradeWebSocket`) finds the negotiated protocol in it. When it would not
   * (`a,b`, `a , b`), the adapter must answer the protocol itself on the 101
   * instead of asking the runtime to, which would refuse the upgrade with 400.
   */
  get runtimeFindsProtocol(): boolean {
    if (this.protocol === "") return true;
    const header = this.request.headers.get("sec-websocket-protocol") ?? "";
    return header.split(", ").includes(this.protocol);
  }

  /** The largest message this endpoint accepts, for setting a runtime's own frame limit above it. */
  get maxMessageBytes(): number {
    return Math.max(this.registration.maxText, this.registration.maxBinary);
  }

  /** Makes the session for the upgraded socket; the adapter then calls `opened()` once the socket is open. */
  connect(socket: SocketLike, drainEvents: boolean): WsSession {
    const session = new WsSession(this, socket, drainEvents);
    this.#session = session;
    this.scope?.notOpening(this);
    if (this.#closeOnOpen !== null) session.closeOnOpen(this.#closeOnOpen);
    const settle = this.#settle;
    if (settle !== null) {
      this.#settle = null;
      void session.closed.then(settle);
    }
    return session;
  }
}

/** Options of {@linkcode acceptUpgrade}. */
export interface AcceptOptions {
  /** Route to this endpoint, skipping the container's path lookup (a router matched already). */
  readonly registration?: EndpointRegistration;
  /** With `registration`: the router's path parameters. */
  readonly pathParameters?: Record<string, string>;
  /** Where to track the session; a scope that is shutting down refuses with 503. */
  readonly scope?: (SessionScope & { readonly accepting: boolean }) | null;
  /** The request's headers as Node's flat `[name, value, …]` list, for the session's copy (else read from `request.headers`). */
  readonly rawHeaders?: readonly string[];
}

const text = (body: string, status: number, headers?: Record<string, string>): Response =>
  new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });

/**
 * Runs the handshake rules of the contract for `request`: routing, 426 for a
 * plain request, 503 when full or shutting down, `checkOrigin` (403), subprotocol
 * negotiation in the client's order, `modifyHandshake`. Returns `null` when no
 * endpoint serves the path, a `Response` to send when the upgrade is refused,
 * or the accepted upgrade. Never calls `onOpen`.
 */
export function acceptUpgrade(
  container: ContainerState,
  request: Request,
  options: AcceptOptions = {},
): HandshakeOutcome | Promise<HandshakeOutcome> {
  return runHandshake(
    container,
    request,
    options.registration,
    options.pathParameters ?? NO_PATH_PARAMETERS,
    options.scope ?? null,
    options.rawHeaders,
  );
}

/** {@linkcode acceptUpgrade} with its options as arguments: no options object per handshake. */
export function runHandshake(
  container: ContainerState,
  request: Request,
  registration: EndpointRegistration | undefined,
  pathParameters: Record<string, string>,
  scope: (SessionScope & { readonly accepting: boolean }) | null,
  rawHeaders: readonly string[] | undefined,
): HandshakeOutcome | Promise<HandshakeOutcome> {
  if (registration === undefined) {
    const match = container.match(requestPathname(request.url));
    if (match === null) return null;
    registration = match.registration;
    pathParameters = match.pathParameters;
  }
  if (!isUpgradeRequest(request)) {
    return text("Expected a WebSocket upgrade request", 426, { upgrade: "websocket", connection: "Upgrade" });
  }
  if (scope !== null && !scope.accepting) return text("Server is shutting down", 503, { "retry-after": "1" });
  if (registration.openSessions.size >= registration.maxSessions) {
    return text("Too many sessions", 503, { "retry-after": "1" });
  }
  const { config } = registration;
  const configurator = config.configurator;
  try {
    if (configurator.checkOrigin !== undefined) {
      const origin = request.headers.get("origin") ?? "";
      if (configurator.checkOrigin(origin, request) !== true) return text("Origin not allowed", 403);
    }
    const requested = parseProtocols(request.headers.get("sec-websocket-protocol"));
    let protocol = "";
    if (configurator.getNegotiatedSubprotocol !== undefined) {
      protocol = configurator.getNegotiatedSubprotocol(config.subprotocols, [...requested]);
      if (typeof protocol !== "string") protocol = "";
      // Only a protocol the client offered may be answered.
      if (protocol !== "" && !requested.includes(protocol)) {
        throw new Error(`getNegotiatedSubprotocol returned ${JSON.stringify(protocol)}, which the client did not offer`);
      }
    } else {
      for (const offered of requested) {
        if (config.subprotocols.includes(offered)) {
          protocol = offered;
          break;
        }
      }
    }
    if (configurator.modifyHandshake === undefined) {
      return new AcceptedUpgrade(registration, request, pathParameters, protocol, NO_HEADERS, scope, rawHeaders);
    }
    const headers = new Headers();
    const accept = (rejection: void | Response): HandshakeOutcome =>
      rejection instanceof Response
        ? rejection
        : new AcceptedUpgrade(registration!, request, pathParameters, protocol, headers, scope, rawHeaders);
    const modified = configurator.modifyHandshake(config, request, { headers });
    if (isThenable(modified)) {
      const hookFailed = (error: unknown): HandshakeOutcome => handshakeHookFailed(container, config.path, error);
      return Promise.resolve(modified).then(accept, hookFailed);
    }
    return accept(modified);
  } catch (error) {
    return handshakeHookFailed(container, config.path, error);
  }
}

/** What a handshake comes to: no endpoint (`null`), a refusal, or the accepted upgrade. */
export type HandshakeOutcome = AcceptedUpgrade | Response | null;

/** Shared by every upgrade without `modifyHandshake`: read, never written. */
const NO_HEADERS = new Headers();

function handshakeHookFailed(container: ContainerState, path: string, error: unknown): Response {
  container.options.logger.error(`plinth: the handshake hook of ${path} failed`, error);
  return text("Internal Server Error", 500);
}

/** Whether `request` asks for a WebSocket upgrade (`GET` with `Upgrade: websocket`). */
export function isUpgradeRequest(request: Request): boolean {
  if (request.method !== "GET") return false;
  const upgrade = request.headers.get("upgrade");
  if (upgrade === null) return false;
  const tokens = upgrade.toLowerCase();
  return tokens === "websocket" || tokens.split(",").some((token) => token.trim() === "websocket");
}

const NO_PROTOCOLS: readonly string[] = Object.freeze([]);
/** RFC 9110's optional whitespace (SP, HTAB) at either end of a list element. */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

/**
 * The client's offered subprotocols, in its order (one shared empty list when it offered none).
 * Parsed as an RFC 9110 list: elements split on commas, optional whitespace (spaces, tabs)
 * around each trimmed, empty elements skipped; repeated header lines arrive joined with `", "`.
 */
export function parseProtocols(header: string | null): readonly string[] {
  if (header === null) return NO_PROTOCOLS;
  const protocols: string[] = [];
  for (const part of header.split(",")) {
    const protocol = part.replace(OWS_EDGES, "");
    if (protocol !== "") protocols.push(protocol);
  }
  return protocols;
}
