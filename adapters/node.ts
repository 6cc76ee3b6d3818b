/**
 * The Node adapter: serves a plinth container with `@hono/node-server` v2 and
 * its built-in WebSocket support (a `ws` `WebSocketServer` in `noServer`
 * mode, and node-server's `upgradeWebSocket`).
 *
 * What it adds to node-server:
 * - the endpoint's subprotocol negotiation wins over `ws`'s default of taking
 *   the client's first offer (the server's `handleProtocols` answers what the
 *   core negotiated for that request, or no protocol at all);
 * - a refused upgrade reaches the client intact: status, headers and body
 *   (node-server's own refusal sends `Content-Length: 0` and drops the body);
 * - `ws`'s `maxPayload` sits above every endpoint limit, so the core's 1009
 *   fires first; permessage-deflate is off;
 * - messages go from `ws` straight to the session, with no event object per
 *   message, and the TCP socket's `drain` wakes a waiting send loop.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/node";
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
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { STATUS_CODES } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import process from "node:process";
import { Buffer } from "node:buffer";
import type { Context } from "hono";
import { defineWebSocketHelper } from "hono/ws";
import type { WSEvents } from "hono/ws";
import { createAdaptorServer, upgradeWebSocket as nodeUpgradeWebSocket } from "@hono/node-server";
import cluster from "node:cluster";
import type { ServerType } from "@hono/node-server";
import type { Duplex } from "node:stream";
import type { HelperEvents, HonoContext } from "./hono.ts";
import { WebSocketServer } from "ws";
import type { WebSocket } from "ws";
import { checkContainer } from "../src/container.ts";
import type { ServerContainer } from "../src/container.ts";
import type { AcceptedUpgrade } from "../src/handshake.ts";
import { parseProtocols } from "../src/handshake.ts";
import { NodeWsSocket } from "../src/runtime_sockets.ts";
import {
  routeRequest,
  RUNTIME_MESSAGE_LIMIT_FLOOR,
  runtimeMessageLimit,
  ServerScope,
  serverUrl,
  settleServeOptions,
  shutdownOnAbort,
} from "../src/serve.ts";
import type { Fallback, PlinthServer, ServeOptions, SettledServeOptions } from "../src/serve.ts";
import type { WsSession } from "../src/session.ts";
import { describe } from "../src/validate.ts";

export type { Fallback, PlinthServer, ServeOptions };

/**
 * The `ws` `WebSocketServer` that {@linkcode createWebSocketServer} makes, typed
 * as node-server's `serve({ websocket: { server } })` takes it.
 *
 * @example
 * ```ts
 * import { createWebSocketServer } from "@plinth/websocket/node";
 * import type { NodeWebSocketServer } from "@plinth/websocket/node";
 * const server: NodeWebSocketServer = createWebSocketServer();
 * ```
 */
export interface NodeWebSocketServer {
  /** `ws`'s options: `noServer` is true. */
  readonly options: { readonly noServer?: boolean; readonly maxPayload?: number };
  /** Listens to new connections (the socket is opaque here: `never`, so any listener fits). */
  on(event: "connection", listener: (ws: never, request: IncomingMessage) => void): this;
  /** Listens to the 101's headers as they are written. */
  on(event: "headers", listener: (headers: string[], request: IncomingMessage) => void): this;
  /** Stops listening to the 101's headers. */
  off(event: "headers", listener: (headers: string[], request: IncomingMessage) => void): this;
  /** Emits a new connection. */
  emit(event: "connection", ws: never, request: IncomingMessage): boolean;
  /** Completes an upgrade on `socket`. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, callback: (ws: never) => void): void;
  /** Stops accepting connections. */
  close(): void;
}

/**
 * This module's {@linkcode upgradeWebSocket}: a Hono helper in both of Hono's
 * forms, the middleware form and the three-argument form.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket } from "@plinth/websocket/node";
 * import type { NodeUpgradeWebSocket } from "@plinth/websocket/node";
 * const helper: NodeUpgradeWebSocket = upgradeWebSocket;
 * ```
 */
export interface NodeUpgradeWebSocket {
  /** Middleware form: `app.get("/ws", upgradeWebSocket((c) => events))`. */
  (
    createEvents: (c: HonoContext) => HelperEvents | Promise<HelperEvents>,
    options?: NodeUpgradeOptions,
  ): (c: HonoContext, next: () => Promise<void>) => Promise<Response | void>;
  /** Three-argument form: resolves to the response to return; rejects when the request is no upgrade. */
  (c: HonoContext, events: HelperEvents, options?: NodeUpgradeOptions): Promise<Response>;
}

/**
 * The `env` node-server passes to `fetch`: `incoming` is the Node request;
 * `outgoing` is absent while node-server runs `fetch` for an upgrade.
 *
 * @example
 * ```ts
 * import type { NodeBindings } from "@plinth/websocket/node";
 * const isUpgradePass = (env: NodeBindings) => env.outgoing === undefined;
 * ```
 */
export interface NodeBindings {
  /** The Node request (node-server types it as either kind; upgrades arrive over HTTP/1.1). */
  incoming: IncomingMessage | Http2ServerRequest;
  /** The Node response; `undefined` on node-server's upgrade pass. */
  outgoing?: unknown;
}

/**
 * A `fetch` handler for node-server's `serve({ fetch })`.
 *
 * @example
 * ```ts
 * import type { NodeFetch } from "@plinth/websocket/node";
 * const fetch: NodeFetch = () => new Response("hello");
 * ```
 */
export type NodeFetch = (request: Request, env: NodeBindings) => Response | Promise<Response>;

/**
 * Options of this module's {@linkcode upgradeWebSocket}: node-server's, plus
 * the subprotocol to answer with (as `hono/deno`'s `protocol` option).
 *
 * @example
 * ```ts
 * import type { NodeUpgradeOptions } from "@plinth/websocket/node";
 * const options: NodeUpgradeOptions = { protocol: "chat.v1" };
 * ```
 */
export interface NodeUpgradeOptions {
  /**
   * The subprotocol for the 101; `""` or `undefined` for none. Without the
   * key, `ws` answers the client's first offer. Needs the server from {@linkcode createWebSocketServer}.
   */
  protocol?: string;
  /** Where errors thrown by the event handlers go (node-server's option); default `console.error`. */
  onError?: (error: unknown) => void;
}

/** The subprotocol plinth negotiated for each pending upgrade, read by `handleProtocols`. */
const negotiated = new WeakMap<NodeBindings["incoming"], string>();

/** `ws`'s `handleProtocols`: the negotiated subprotocol, else (a request plinth did not see) `ws`'s default. */
function handleProtocols(offered: Set<string>, request: IncomingMessage): string | false {
  const protocol = negotiated.get(request);
  negotiated.delete(request);
  if (protocol === undefined) return offered.values().next().value ?? false;
  return protocol === "" ? false : protocol;
}

/**
 * Makes the `ws` `WebSocketServer` to give node-server's
 * `serve({ websocket: { server } })`: `noServer` mode, with the
 * `handleProtocols` that answers the subprotocol plinth negotiated, a
 * `maxPayload` above every endpoint limit of `container` (at least 64 MiB;
 * add endpoints first), and permessage-deflate off.
 *
 * @throws {TypeError} when `container` is given and did not come from `createContainer()`
 *
 * @example
 * ```ts
 * import { serve } from "@hono/node-server";
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { createWebSocketServer, handler } from "@plinth/websocket/node";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * serve({
 *   port: 8080,
 *   fetch: handler(container, () => new Response("hello")),
 *   websocket: { server: createWebSocketServer(container) },
 * });
 * ```
 */
export function createWebSocketServer(container?: ServerContainer): NodeWebSocketServer {
  const maxPayload = container === undefined
    ? RUNTIME_MESSAGE_LIMIT_FLOOR
    : runtimeMessageLimit(checkContainer(container, "createWebSocketServer"));
  // No client tracking: sessions are tracked by plinth, and ws's per-client close listener would cost memory.
  const server = new WebSocketServer({
    noServer: true,
    handleProtocols,
    maxPayload,
    perMessageDeflate: false,
    clientTracking: false,
  });
  return server as unknown as NodeWebSocketServer;
}

/**
 * node-server's `upgradeWebSocket` for Hono routes, plus a `protocol` option
 * (as `hono/deno`'s) that the server made by {@linkcode createWebSocketServer}
 * answers with. `@plinth/websocket/hono` passes the negotiated protocol this way.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { serve } from "@hono/node-server";
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { mount } from "@plinth/websocket/hono";
 * import { createWebSocketServer, upgradeWebSocket, withIntactRefusals } from "@plinth/websocket/node";
 *
 * const container = createContainer();
 * addEndpoint(container, "/chat/{room}", { onOpen: (session) => session.pathParameters.room });
 * const app = new Hono();
 * mount(app, container, upgradeWebSocket);
 * serve({ port: 8080, fetch: withIntactRefusals(app.fetch), websocket: { server: createWebSocketServer(container) } });
 * ```
 */
export const upgradeWebSocket: NodeUpgradeWebSocket = (defineWebSocketHelper<
  WebSocket,
  NodeUpgradeOptions
>(async (c: Context, events: WSEvents<WebSocket>, options?: NodeUpgradeOptions) => {
  const incoming = (c.env as Partial<NodeBindings> | undefined)?.incoming;
  // A `protocol` key, even undefined, means "answer this" (undefined or "" for none).
  if (incoming !== undefined && options !== undefined && "protocol" in options) {
    negotiated.set(incoming, options.protocol ?? "");
    normalizeOffer(incoming);
  }
  const nodeOptions = options?.onError === undefined ? undefined : { onError: options.onError };
  try {
    return await nodeUpgradeWebSocket(c, events as WSEvents<unknown>, nodeOptions);
  } catch {
    // Not an upgrade node-server can take (its Upgrade header is not exactly "websocket").
    if (incoming !== undefined) negotiated.delete(incoming);
    return undefined;
  }
}) as unknown as NodeUpgradeWebSocket);

/**
 * `ws` parses the offer again and refuses RFC 9110 lists with empty elements (`a,,b`) with 400:
 * it gets the list plinth parsed, written `a, b` (an offer of only empty elements: none at all).
 */
function normalizeOffer(incoming: Pick<IncomingMessage, "headers">): void {
  const header = incoming.headers["sec-websocket-protocol"];
  if (header === undefined) return;
  const offer = parseProtocols(header).join(", ");
  if (offer === "") delete incoming.headers["sec-websocket-protocol"];
  else incoming.headers["sec-websocket-protocol"] = offer;
}

/** Whether node-server runs `fetch` for an upgrade (it then writes the response to the socket itself). */
function isUpgradePass(env: NodeBindings | undefined): env is NodeBindings {
  return env !== undefined && env.incoming !== undefined && env.outgoing === undefined;
}

/** Whether `response` is node-server's "upgrade accepted" marker: a 200 with no body. */
function isUpgradeMarker(response: Response): boolean {
  return response.status === 200 && response.body === null;
}

/** Headers the writer sets itself. */
const OWN_HEADERS = new Set(["connection", "content-length", "transfer-encoding", "keep-alive"]);

/** Writes `response` whole (status, headers, body) to the upgrade's socket and closes it. */
async function writeRefusal(socket: Socket, response: Response): Promise<void> {
  const body = response.body === null ? Buffer.alloc(0) : Buffer.from(await response.arrayBuffer());
  const lines = [`HTTP/1.1 ${response.status} ${response.statusText || STATUS_CODES[response.status] || ""}`];
  response.headers.forEach((value, key) => {
    if (key === "set-cookie" || OWN_HEADERS.has(key)) return;
    lines.push(`${key}: ${value}`);
  });
  for (const cookie of response.headers.getSetCookie()) lines.push(`set-cookie: ${cookie}`);
  lines.push("connection: close", `content-length: ${body.byteLength}`);
  if (socket.destroyed) return;
  await new Promise<void>((resolve) => {
    socket.once("close", resolve);
    socket.end(Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "latin1"), body]), () => {
      // Written out: destroy now, so node-server sees the socket gone and writes nothing more.
      socket.destroy();
    });
  });
}

/**
 * Wraps a node-server `fetch` (a Hono app's, or any) so that a response
 * refusing a WebSocket upgrade reaches the client intact — status, headers
 * and body. node-server's own refusal sends `Content-Length: 0` and drops the
 * body. Accepted upgrades (node-server's `upgradeWebSocket` answers with an
 * empty 200) and plain requests pass through untouched.
 *
 * @throws {TypeError} when `fetch` is not a function
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { serve } from "@hono/node-server";
 * import { createWebSocketServer, withIntactRefusals } from "@plinth/websocket/node";
 *
 * const app = new Hono();
 * app.get("/private", (c) => c.text("sign in first", 401));
 * serve({ port: 8080, fetch: withIntactRefusals(app.fetch), websocket: { server: createWebSocketServer() } });
 * ```
 */
export function withIntactRefusals<E extends NodeBindings>(
  fetch: (request: Request, env: E) => Response | Promise<Response>,
): (request: Request, env: E) => Promise<Response> {
  if (typeof fetch !== "function") {
    throw new TypeError(`withIntactRefusals: fetch must be a function, got ${describe(fetch)}`);
  }
  const isAccepted = (response: Response): boolean => !(response instanceof Response) || isUpgradeMarker(response);
  return async (request, env) => {
    if (!isUpgradePass(env)) return fetch(request, env);
    return await answerUpgradePass(env, () => fetch(request, env), isAccepted);
  };
}

/**
 * node-server's upgrade pass: runs `answer`, and writes what it answered to the socket whole
 * (status, headers, body) unless `isAccepted` says node-server took the upgrade; when `answer`
 * throws, a 500 is written and the error rethrown.
 */
async function answerUpgradePass(
  env: NodeBindings,
  answer: () => Response | Promise<Response>,
  isAccepted: (response: Response) => boolean,
): Promise<Response> {
  let response: Response;
  try {
    response = await answer();
  } catch (error) {
    await writeRefusal(env.incoming.socket, new Response("Internal Server Error", { status: 500 }));
    throw error;
  }
  if (!isAccepted(response)) await writeRefusal(env.incoming.socket, response);
  return response;
}

/**
 * What {@linkcode answerOtherUpgrades} needs of a server: its `upgrade` event
 * (node-server's `serve` returns a Node `http.Server`, which has it).
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import type { UpgradeEmitter } from "@plinth/websocket/node";
 * const server: UpgradeEmitter = createServer();
 * ```
 */
export interface UpgradeEmitter {
  /** Listens to requests that carry an `Upgrade` header. */
  on(event: "upgrade", listener: (request: IncomingMessage, socket: Socket, head: Buffer) => void): unknown;
}

/**
 * Answers, through `fetch`, the upgrade requests node-server leaves alone
 * (an `Upgrade` header other than exactly `websocket`, such as `h2c` or
 * `websocket, foo`): Node hands every request with an `Upgrade` header to
 * the upgrade listeners, so without this they hang unanswered and keep
 * `server.close()` from finishing. `serve` does this itself; call it on a
 * node-server you own.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { serve } from "@hono/node-server";
 * import { answerOtherUpgrades, createWebSocketServer, withIntactRefusals } from "@plinth/websocket/node";
 *
 * const app = new Hono();
 * const fetch = withIntactRefusals(app.fetch);
 * const server = serve({ port: 8080, fetch, websocket: { server: createWebSocketServer() } });
 * answerOtherUpgrades(server, fetch);
 * ```
 */
export function answerOtherUpgrades(server: UpgradeEmitter, fetch: NodeFetch): void {
  server.on("upgrade", (request: IncomingMessage, socket: Socket) => {
    if (request.headers.upgrade?.toLowerCase() === "websocket") return; // node-server's
    socket.on("error", () => {});
    void (async () => {
      let response: Response;
      try {
        const url = new URL(request.url ?? "/", `http://${request.headers.host ?? "localhost"}`);
        const headers = new Headers();
        for (const [key, value] of Object.entries(request.headers)) {
          if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(", ") : value);
        }
        response = await fetch(new Request(url, { method: request.method ?? "GET", headers }), { incoming: request });
      } catch {
        response = new Response("Bad Request", { status: 400 });
      }
      // `fetch` (wrapped by withIntactRefusals) wrote any other answer already. An accepted upgrade
      // cannot complete here, since node-server's helper only takes `Upgrade: websocket`.
      if (!socket.destroyed) {
        await writeRefusal(socket, isUpgradeMarker(response) ? new Response("Bad WebSocket handshake", { status: 400 }) : response);
      }
    })().catch(() => socket.destroy());
  });
}

const ignoreError = (): void => {};

/** Text as a UTF-8 `Buffer`, which `ws` sends as it is (a plain `Uint8Array` it wraps per send). */
const utf8Buffer = (text: string): Uint8Array => Buffer.from(text, "utf8");

/** Wires an open `ws` socket to a new session: messages, close and drain go straight to it. */
function connect(accepted: AcceptedUpgrade, ws: WebSocket, tcp: Socket): WsSession {
  const session = accepted.connect(new NodeWsSocket(ws, utf8Buffer), true);
  ws.on("message", (data, isBinary) => {
    // ws hands over a Buffer (binaryType "nodebuffer"); it is not reused, so a view is safe to keep.
    const bytes = data as Buffer;
    if (isBinary) session.receiveBinary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    else session.receiveText(bytes.toString("utf8"));
  });
  ws.on("close", (code, reason) => session.receiveClose(code, reason.toString("utf8")));
  ws.on("error", ignoreError); // a close event follows; its code tells what happened
  // ws has no drain event of its own; its TCP socket's 'drain' fires once the kernel took every
  // queued byte (ws queues nothing itself with permessage-deflate off), so it wakes the send loop.
  tcp.on("drain", () => session.drained());
  session.opened();
  return session;
}

/**
 * The events given to node-server's `upgradeWebSocket` for an accepted upgrade (methods, not
 * closures). node-server adds its own listeners right after `onOpen`; they keep the whole
 * request context (the context, the Node request, URLs) alive for the connection's life, so
 * once they are in place they are swapped for the session's, which keep only the session.
 */
class UpgradeEvents {
  readonly #accepted: AcceptedUpgrade;
  readonly #tcp: Socket;

  constructor(accepted: AcceptedUpgrade, tcp: Socket) {
    this.#accepted = accepted;
    this.#tcp = tcp;
  }

  onOpen(_event: Event, ws: { raw?: unknown }): void {
    const raw = ws.raw as WebSocket | undefined;
    if (raw === undefined) return;
    queueMicrotask(() => {
      raw.removeAllListeners();
      connect(this.#accepted, raw, this.#tcp);
    });
  }
}

/**
 * The part of a Hono `Context` that node-server's `upgradeWebSocket` reads
 * (`c.req.header`, `c.req.url`, `c.env`): routing already happened in the
 * core, so no Hono app or full context is built per handshake.
 */
class UpgradeRequestView {
  readonly raw: Request;
  readonly routePath = "*";

  constructor(request: Request) {
    this.raw = request;
  }

  get url(): string {
    return this.raw.url;
  }

  header(name: string): string | undefined {
    return this.raw.headers.get(name) ?? undefined;
  }

  param(): undefined {
    return undefined;
  }
}

/**
 * Upgrades through node-server: resolves to node-server's "accepted" answer (the 101 then carries
 * `modifyHandshake`'s headers), or `undefined` when node-server cannot take the upgrade.
 */
async function upgradeAccepted(request: Request, env: NodeBindings, accepted: AcceptedUpgrade): Promise<Response | undefined> {
  const incoming = env.incoming;
  // ws asks `handleProtocols` only when the client offered subprotocols.
  const offered = incoming.headers["sec-websocket-protocol"] !== undefined;
  if (offered) {
    negotiated.set(incoming, accepted.protocol);
    normalizeOffer(incoming);
  }
  const context = { req: new UpgradeRequestView(request), env } as unknown as Context;
  let response: Response | undefined;
  try {
    response = await nodeUpgradeWebSocket(context, new UpgradeEvents(accepted, incoming.socket) as WSEvents<unknown>);
  } catch {
    response = undefined;
  }
  if (response === undefined) {
    accepted.abandon();
    if (offered) negotiated.delete(incoming);
    return undefined;
  }
  // node-server copies these onto the 101.
  if (accepted.hasHeaders) accepted.headers.forEach((value, key) => response.headers.set(key, value));
  return response;
}

function handlerWithScope(
  container: ServerContainer,
  fallback: Fallback | undefined,
  scope: ServerScope | null,
): NodeFetch {
  return async (request: Request, env: NodeBindings): Promise<Response> => {
    if (!isUpgradePass(env)) return (await routeRequest(container, request, scope, fallback, notUpgradable)) ?? upgradeFailed();
    // node-server's "accepted" answer, once the upgrade went through; any other answer is a refusal to write.
    let acceptedAnswer: Response | undefined;
    const route = async (): Promise<Response> =>
      (await routeRequest(container, request, scope, fallback, async (accepted) => {
        acceptedAnswer = await upgradeAccepted(request, env, accepted);
        return acceptedAnswer ?? new Response("Bad WebSocket handshake", { status: 400 });
      }, env.incoming.rawHeaders)) ?? upgradeFailed();
    return await answerUpgradePass(env, route, (response) => response === acceptedAnswer);
  };
}

/** The answer to an upgrade that did not come through node-server's upgrade listener. */
function notUpgradable(): Response {
  return new Response("Upgrade failed: not served by @hono/node-server", { status: 500 });
}

/** The answer when an upgrade cannot be made. */
function upgradeFailed(): Response {
  return new Response("Upgrade failed", { status: 500 });
}

/**
 * A `fetch` for node-server's `serve` that serves a container: WebSocket
 * upgrades to its endpoints (with refusals sent intact), everything else to
 * `fallback` (default 404). Give `serve` the `WebSocketServer` from
 * {@linkcode createWebSocketServer} as `websocket.server`.
 *
 * @throws {TypeError} when `container` is not a container or `fallback` not a function
 *
 * @example
 * ```ts
 * import { serve } from "@hono/node-server";
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { createWebSocketServer, handler } from "@plinth/websocket/node";
 *
 * const container = createContainer();
 * addEndpoint(container, "/ws", { onText: (_s, text) => console.log(text) });
 * serve({ port: 8080, fetch: handler(container), websocket: { server: createWebSocketServer(container) } });
 * ```
 */
export function handler(container: ServerContainer, fallback?: Fallback): NodeFetch {
  checkContainer(container, "handler");
  if (fallback !== undefined && typeof fallback !== "function") {
    throw new TypeError(`handler: fallback must be a function, got ${describe(fallback)}`);
  }
  return handlerWithScope(container, fallback, null);
}

/**
 * Serves `container` with node-server on `options.hostname` (default
 * 127.0.0.1) and `options.port` (default: any free port).
 *
 * @throws {TypeError} / {RangeError} naming a wrong option
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/node";
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
  if (settled.reusePort && !cluster.isWorker && !listenTakesReusePort()) {
    return Promise.reject(new Error(`options.reusePort: Node ${process.versions.node} shares a port only between cluster workers (SO_REUSEPORT needs Node 22.12 or later); call serve in a worker of node:cluster`));
  }
  const fetch = handlerWithScope(container, settled.fallback, scope);
  return listen(fetch, createWebSocketServer(container), settled, scope);
}

/** Whether `server.listen` takes `reusePort` (Node 22.12 and later). */
function listenTakesReusePort(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  return major > 22 || (major === 22 && minor >= 12);
}

/** Starts node-server and resolves once it listens. */
function listen(
  fetch: NodeFetch,
  wss: NodeWebSocketServer,
  { hostname, port, signal, reusePort }: SettledServeOptions,
  scope: { closeAll(options?: Parameters<PlinthServer["shutdown"]>[0]): Promise<void> },
): Promise<PlinthServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (error: unknown) => reject(error);
    try {
      server = createAdaptorServer({
        fetch: fetch as (request: Request, env: unknown) => Promise<Response>,
        hostname,
        websocket: { server: wss },
      });
      // In a cluster worker the cluster module shares the port whatever `reusePort` says.
      server.listen({ port, host: hostname, ...(reusePort ? { reusePort } : {}) }, () => {
        const info = server.address() as AddressInfo;
        server.off("error", onError);
        let stopping: Promise<void> | undefined;
        const shutdown = (opts?: Parameters<PlinthServer["shutdown"]>[0]): Promise<void> =>
          stopping ??= (async () => {
            await scope.closeAll(opts);
            await new Promise<void>((done) => {
              server.close(() => done());
              if ("closeAllConnections" in server) server.closeAllConnections();
            });
          })();
        shutdownOnAbort(signal, () => shutdown());
        resolve({ port: info.port, url: serverUrl(hostname, info.port), shutdown });
      });
      server.once("error", onError);
      answerOtherUpgrades(server, fetch);
    } catch (error) {
      reject(error);
    }
  });
}
