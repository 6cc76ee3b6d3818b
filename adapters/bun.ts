/**
 * The Bun adapter: serves a plinth container with `Bun.serve` and its
 * built-in WebSockets.
 *
 * Bun's own limits are set so they never fire before the core's rules: no
 * idle timeout (the core runs `idleTimeoutMs`), a `maxPayloadLength` above
 * every endpoint limit (the core sends 1009 itself), no backpressure limit
 * and no close on backpressure, no permessage-deflate. Topics
 * (`session.subscribe`, `publish`) ride Bun's native publish.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/bun";
 *
 * const container = createContainer();
 * addEndpoint(container, "/echo", {
 *   onOpen: (session) => session,
 *   onText: (session, text) => void session.asyncRemote.sendText(text),
 * });
 * const server = await serve(container, { port: 8080 });
 * console.log(`ws echo on ${server.url}/echo`);
 * ```
 *
 * @module
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { checkContainer, stateOf } from "../src/container.ts";
import type { ServerContainer } from "../src/container.ts";
import type { AcceptedUpgrade } from "../src/handshake.ts";
import { BunSocket } from "../src/runtime_sockets.ts";
import {
  routeRequest,
  runtimeMessageLimit,
  ServerScope,
  serverUrl,
  settleServeOptions,
  shutdownOnAbort,
} from "../src/serve.ts";
import type { Fallback, PlinthServer, ServeOptions } from "../src/serve.ts";
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from "../src/server_scope.ts";
import type { WsSession } from "../src/session.ts";
import type { Session } from "../src/types.ts";
import { describe } from "../src/validate.ts";

export type { Fallback, PlinthServer, ServeOptions };

/**
 * What the adapter keeps in `ws.data` for each connection: its session, from
 * `open` on (`null` before).
 *
 * @example
 * ```ts
 * import type { ServerWebSocket } from "bun";
 * import type { ConnectionData } from "@plinth/websocket/bun";
 * const isOpen = (ws: ServerWebSocket<ConnectionData>) => ws.data.session.isOpen;
 * ```
 */
export interface ConnectionData {
  /** The session: made when the upgrade is accepted, open from Bun's `open` on. */
  readonly session: Session;
}

/**
 * `ws.data` as the adapter sees it: one object per connection that holds the
 * session, made when the upgrade is accepted, and is also the socket the
 * session drives (no separate wrapper per connection).
 */
class Connection extends BunSocket implements ConnectionData {
  readonly session: WsSession;

  constructor(accepted: AcceptedUpgrade) {
    super(null);
    this.session = accepted.connect(this, true);
  }
}

/**
 * What {@linkcode handlers} returns: spread it into `Bun.serve`.
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * import { handlers } from "@plinth/websocket/bun";
 * import type { BunHandlers } from "@plinth/websocket/bun";
 * const both: BunHandlers = handlers(createContainer());
 * Bun.serve({ port: 8080, ...both });
 * ```
 */
export interface BunHandlers {
  /** The `fetch` of `Bun.serve`: upgrades to the container's endpoints, everything else to the fallback. */
  fetch(request: Request, server: Server<ConnectionData>): Response | undefined | Promise<Response | undefined>;
  /** The `websocket` of `Bun.serve`, with Bun's own limits set out of the core's way. */
  websocket: WebSocketHandler<ConnectionData>;
}

/** The largest value Bun takes for its byte limits. */
const BUN_LIMIT_CEILING = 0xffffffff;

/**
 * The one handler object per server: state lives in `ws.data`, so no closure
 * or event object is made per connection or message.
 */
function websocketHandler(container: ServerContainer): WebSocketHandler<ConnectionData> {
  return {
    open(ws: ServerWebSocket<ConnectionData>): void {
      // Binary messages then arrive as plain Uint8Arrays (not Buffers), without a copy.
      ws.binaryType = "uint8array";
      const data = ws.data as Connection;
      data.attach(ws);
      data.session.opened();
    },
    message(ws: ServerWebSocket<ConnectionData>, message: string | Uint8Array): void {
      const session = (ws.data as Connection).session;
      if (typeof message === "string") session.receiveText(message);
      else session.receiveBinary(message);
    },
    close(ws: ServerWebSocket<ConnectionData>, code: number, reason: string): void {
      (ws.data as Connection).session.receiveClose(code, reason);
    },
    drain(ws: ServerWebSocket<ConnectionData>): void {
      (ws.data as Connection).session.drained();
    },
    idleTimeout: 0,
    sendPings: false,
    maxPayloadLength: runtimeMessageLimit(container),
    backpressureLimit: BUN_LIMIT_CEILING,
    closeOnBackpressureLimit: false,
    perMessageDeflate: false,
    publishToSelf: false,
  };
}

/** Whether the 101 needs headers of plinth's: a subprotocol to answer (or refuse), or `modifyHandshake`'s. */
function needsHeaders(accepted: AcceptedUpgrade): boolean {
  if (accepted.request.headers.has("sec-websocket-protocol")) return true;
  if (!accepted.hasHeaders) return false;
  for (const _ of accepted.headers.keys()) return true;
  return false;
}

/** The 101's extra headers: `modifyHandshake`'s, and the negotiated subprotocol. */
function upgradeHeaders(accepted: AcceptedUpgrade): Headers {
  const headers = new Headers(accepted.headers);
  // Bun answers with the client's first offer unless told otherwise; an empty
  // value makes it send no Sec-WebSocket-Protocol header at all.
  headers.set("sec-websocket-protocol", accepted.protocol);
  return headers;
}

/** Upgrades with Bun: the negotiated subprotocol and `modifyHandshake`'s headers go on the 101. */
function upgradeAccepted(accepted: AcceptedUpgrade, server: Server<ConnectionData>): Response | undefined {
  const data = new Connection(accepted);
  // Topics ride Bun's publish: the server is how container.publish reaches this socket.
  accepted.registration.container.topics.addNativePublisher(server);
  const upgraded = needsHeaders(accepted)
    ? server.upgrade(accepted.request, { headers: upgradeHeaders(accepted), data })
    : server.upgrade(accepted.request, { data });
  if (upgraded) return undefined;
  accepted.abandon();
  return new Response("Bad WebSocket handshake", { status: 400 });
}

function handlersWithScope(
  container: ServerContainer,
  fallback: Fallback | undefined,
  scope: ServerScope | null,
): BunHandlers {
  // The upgrade step for the server Bun passes, made once per server rather than once per request.
  let upgradeServer: Server<ConnectionData> | null = null;
  let upgrade = (_accepted: AcceptedUpgrade): Response | undefined => undefined;
  return {
    fetch: (request, server) => {
      if (server !== upgradeServer) {
        upgradeServer = server;
        upgrade = (accepted) => upgradeAccepted(accepted, server);
      }
      return routeRequest(container, request, scope, fallback, upgrade);
    },
    websocket: websocketHandler(container),
  };
}

/**
 * `fetch` and `websocket` for a `Bun.serve` you own: WebSocket upgrades to
 * the container's endpoints, everything else to `fallback` (default 404).
 * Bun's `maxPayloadLength` is set from the endpoints added so far: add
 * endpoints first.
 *
 * @throws {TypeError} when `container` is not a container or `fallback` not a function
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { handlers } from "@plinth/websocket/bun";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * const { fetch, websocket } = handlers(container, () => new Response("hello"));
 * Bun.serve({ port: 8080, fetch, websocket });
 * ```
 */
export function handlers(container: ServerContainer, fallback?: Fallback): BunHandlers {
  checkContainer(container, "handlers");
  if (fallback !== undefined && typeof fallback !== "function") {
    throw new TypeError(`handlers: fallback must be a function, got ${describe(fallback)}`);
  }
  return handlersWithScope(container, fallback, null);
}

/**
 * Serves `container` with `Bun.serve` on `options.hostname` (default
 * 127.0.0.1) and `options.port` (default: any free port).
 *
 * @throws {TypeError} / {RangeError} naming a wrong option
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/bun";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * const server = await serve(container);
 * await server.shutdown();
 * ```
 */
export function serve(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  checkContainer(container, "serve");
  const settled = settleServeOptions(options);
  const scope = new ServerScope();
  const { fetch, websocket } = handlersWithScope(container, settled.fallback, scope);
  let server: Server<ConnectionData>;
  try {
    server = Bun.serve<ConnectionData>({
      port: settled.port,
      hostname: settled.hostname,
      reusePort: settled.reusePort,
      fetch,
      websocket,
      error(error) {
        stateOf(container).options.logger.error("plinth: a request failed", error);
        return new Response("Internal Server Error", { status: 500 });
      },
    });
  } catch (error) {
    return Promise.reject(error);
  }
  const port = server.port ?? settled.port;
  let stopping: Promise<void> | undefined;
  const shutdown = (opts?: Parameters<PlinthServer["shutdown"]>[0]): Promise<void> =>
    stopping ??= (async () => {
      const started = Date.now();
      await scope.closeAll(opts);
      // Bun runs close handlers as soon as close() is called, while the close frames may still be
      // queued behind data: stop listening now, let the connections drain, and drop whatever is
      // still connected once the rest of the timeout has passed. The timer does not keep the
      // process alive by itself; a connection still draining does, until then.
      const left = Math.max(0, (opts?.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS) - (Date.now() - started));
      void server.stop(false);
      const force = setTimeout(() => void server.stop(true), left);
      (force as { unref?: () => void }).unref?.();
      stateOf(container).topics.deleteNativePublisher(server);
    })();
  shutdownOnAbort(settled.signal, () => shutdown());
  return Promise.resolve({ port, url: serverUrl(settled.hostname, port), shutdown });
}
