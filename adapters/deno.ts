/**
 * The Deno adapter: serves a plinth container with `Deno.serve` and
 * `Deno.upgradeWebSocket`.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/deno";
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
import { stateOf } from "../src/container.ts";
import type { ServerContainer } from "../src/container.ts";
import { standaloneRegistration } from "../src/standalone.ts";
import { acceptUpgrade } from "../src/handshake.ts";
import type { AcceptedUpgrade } from "../src/handshake.ts";
import { routeRequest, ServerScope, serverUrl, settleServeOptions, shutdownOnAbort } from "../src/serve.ts";
import type { Fallback, PlinthServer, ServeOptions } from "../src/serve.ts";
import { WebStandardSocket } from "../src/runtime_sockets.ts";
import { isThenable } from "../src/session.ts";
import type { WsSession } from "../src/session.ts";
import type { EndpointMap } from "../src/types.ts";

export type { Fallback, PlinthServer, ServeOptions };

// The part of the Deno API this adapter uses, declared here so that the file also compiles without
// Deno's own types (the npm build runs `tsc`, which has none); at run time `Deno` is the global.
// A module-level declaration shadows the global one (also under `deno check`); the signatures are
// a subset of Deno's own, and the contract suite's deno rows and the npm package test run them on Deno.
declare namespace Deno {
  function upgradeWebSocket(
    request: Request,
    options?: { protocol?: string | undefined; idleTimeout?: number },
  ): { socket: WebSocket; response: Response };
  function serve(
    options: {
      port?: number;
      hostname?: string;
      reusePort?: boolean;
      signal?: AbortSignal;
      onListen?: (address: { port: number; hostname: string }) => void;
      onError?: (error: unknown) => Response | Promise<Response>;
    },
    handler: (request: Request) => Response | Promise<Response>,
  ): HttpServer;
  interface HttpServer {
    readonly finished: Promise<void>;
  }
}

/** Upgrades with Deno and wires the socket to a new session. */
function upgradeAccepted(accepted: AcceptedUpgrade): Response {
  let upgraded: { socket: WebSocket; response: Response };
  try {
    // Deno finds the protocol only in an offer written `a, b`; for `a,b` or `a , b` the 101 gets it below.
    const findsProtocol = accepted.runtimeFindsProtocol;
    upgraded = Deno.upgradeWebSocket(accepted.request, {
      protocol: accepted.protocol === "" || !findsProtocol ? undefined : accepted.protocol,
      idleTimeout: 0,
    });
    if (!findsProtocol) upgraded.response.headers.set("sec-websocket-protocol", accepted.protocol);
  } catch {
    accepted.abandon();
    return new Response("Bad WebSocket handshake", { status: 400 });
  }
  const { socket, response } = upgraded;
  socket.binaryType = "arraybuffer";
  let session: WsSession;
  try {
    session = accepted.connect(new WebStandardSocket(socket), false);
  } catch (error) {
    accepted.abandon();
    // Once upgraded, the handler must return this response: anything else wedges Deno.serve
    // ("Upgrade response was not returned from callback"). The socket is closed as a failed session.
    accepted.registration.container.options.logger.error("plinth: connecting an upgraded socket failed", error);
    socket.onopen = () => socket.close(1011, "Internal Error");
    socket.onerror = () => {};
    return response;
  }
  // One listener object for the socket's events: no closure per connection, no handler wrapper
  // per message. Error events are not listened to: a close event follows, and its code tells.
  const events = new SessionEvents(session);
  socket.addEventListener("open", events);
  socket.addEventListener("message", events);
  socket.addEventListener("close", events);
  accepted.headers.forEach((value, key) => response.headers.set(key, value));
  return response;
}

/** Feeds a Deno socket's events to its session. */
class SessionEvents {
  readonly #session: WsSession;
  constructor(session: WsSession) {
    this.#session = session;
  }
  handleEvent(event: Event): void {
    switch (event.type) {
      case "message": {
        const data = (event as MessageEvent<string | ArrayBuffer>).data;
        if (typeof data === "string") this.#session.receiveText(data);
        else this.#session.receiveBinary(new Uint8Array(data));
        break;
      }
      case "open":
        this.#session.opened();
        break;
      case "close": {
        const close = event as CloseEvent;
        this.#session.receiveClose(close.code, close.reason);
        break;
      }
    }
  }
}

/**
 * A `Deno.serve` handler for a container: WebSocket upgrades to its endpoints,
 * everything else to `fallback` (default 404).
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { handler } from "@plinth/websocket/deno";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * Deno.serve({ port: 8080 }, handler(container, () => new Response("hello")));
 * ```
 */
export function handler(container: ServerContainer, fallback?: Fallback): (request: Request) => Response | Promise<Response> {
  return handlerWithScope(container, fallback, null);
}

const orUpgradeFailed = (response: Response | undefined): Response =>
  response ?? new Response("Upgrade failed", { status: 500 });

function handlerWithScope(
  container: ServerContainer,
  fallback: Fallback | undefined,
  scope: ServerScope | null,
): (request: Request) => Response | Promise<Response> {
  return (request) => {
    const routed = routeRequest(container, request, scope, fallback, upgradeAccepted);
    return isThenable(routed) ? routed.then(orUpgradeFailed) : orUpgradeFailed(routed);
  };
}

/**
 * Options of {@linkcode upgrade}.
 *
 * @example
 * ```ts
 * import type { UpgradeOptions } from "@plinth/websocket/deno";
 * const options: UpgradeOptions = { pathParameters: { room: "lobby" } };
 * ```
 */
export interface UpgradeOptions {
  /** The router's path parameters, as `session.pathParameters`. */
  pathParameters?: Record<string, string>;
}

/**
 * Upgrades one request to `endpoint`, for any router (Pedestal 0.8's
 * `upgrade-request-to-websocket`): runs the same handshake rules as a
 * container and returns the response to send.
 *
 * @example
 * ```ts
 * import { upgrade } from "@plinth/websocket/deno";
 * import type { EndpointMap } from "@plinth/websocket";
 *
 * const room: EndpointMap = { onOpen: (session) => session.pathParameters.room };
 * Deno.serve((request) => {
 *   const match = new URLPattern({ pathname: "/rooms/:room" }).exec(request.url);
 *   if (!match) return new Response("Not Found", { status: 404 });
 *   return upgrade(request, room, { pathParameters: { room: match.pathname.groups.room ?? "" } });
 * });
 * ```
 */
export async function upgrade<S>(
  request: Request,
  endpoint: EndpointMap<S>,
  options: UpgradeOptions = {},
): Promise<Response> {
  const registration = standaloneRegistration(endpoint, new URL(request.url).pathname);
  const accepted = await acceptUpgrade(registration.container, request, {
    registration,
    pathParameters: { ...options.pathParameters },
  });
  if (accepted === null) return new Response("Not Found", { status: 404 });
  if (accepted instanceof Response) return accepted;
  return upgradeAccepted(accepted);
}

/**
 * Serves `container` with `Deno.serve` on `options.hostname` (default
 * 127.0.0.1) and `options.port` (default: any free port).
 *
 * @throws {TypeError} / {RangeError} naming a wrong option
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/deno";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * const server = await serve(container);
 * await server.shutdown();
 * ```
 */
export function serve(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  const settled = settleServeOptions(options);
  const scope = new ServerScope();
  const abort = new AbortController();
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        port: settled.port,
        hostname: settled.hostname,
        reusePort: settled.reusePort,
        signal: abort.signal,
        onListen: ({ port }) => {
          let stopping: Promise<void> | undefined;
          const shutdown = (opts?: Parameters<PlinthServer["shutdown"]>[0]) =>
            stopping ??= (async () => {
              await scope.closeAll(opts);
              abort.abort();
              await server.finished;
            })();
          shutdownOnAbort(settled.signal, () => shutdown());
          resolve({ port, url: serverUrl(settled.hostname, port), shutdown });
        },
        onError: (error) => {
          stateOf(container).options.logger.error("plinth: a request failed", error);
          return new Response("Internal Server Error", { status: 500 });
        },
      }, handlerWithScope(container, settled.fallback, scope));
    } catch (error) {
      reject(error);
    }
  });
}
