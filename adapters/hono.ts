/**
 * The Hono route adapter: serves plinth endpoints as Hono routes, on any
 * runtime's Hono `upgradeWebSocket` helper — `hono/deno`, `hono/bun`, or on
 * Node `@plinth/websocket/node`'s (node-server's, with subprotocol control).
 *
 * `websocket(endpoint, upgradeWebSocket)` is one route's handler (Hono's path
 * parameters become `session.pathParameters`, as Pedestal 0.8's routed
 * upgrade); `mount(app, container, upgradeWebSocket)` registers every
 * endpoint of a container. Both run the same handshake rules as every
 * adapter (426, 403, 503, `modifyHandshake`, subprotocols in the client's
 * order), and give back a {@linkcode RouteScope} whose `shutdown()` closes
 * their sessions with 1001 and waits for `onClose`.
 *
 * What each helper lets the adapter control:
 * - `hono/deno`: everything (the protocol goes in its `protocol` option).
 * - `hono/bun`: everything; the negotiated protocol and `modifyHandshake`'s
 *   headers reach Bun's `server.upgrade` through a stand-in for the server in
 *   `c.env`. Messages pass through hono's handler object (one `MessageEvent`
 *   per message, which hono makes); Bun's limits are those of your
 *   `Bun.serve` (set `idleTimeout: 0`, a `maxPayloadLength` above your
 *   limits). A send loop waiting on backpressure polls `getBufferedAmount()`
 *   (hono's handler object has no `drain`).
 * - `@hono/node-server`: use `upgradeWebSocket` and `createWebSocketServer`
 *   from `@plinth/websocket/node` for subprotocol control (node-server's own
 *   helper lets `ws` answer the client's first offer), and wrap the app's
 *   fetch in `withIntactRefusals` so refusals keep their body. Messages go
 *   from `ws` straight to the session.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { upgradeWebSocket } from "hono/deno";
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { mount } from "@plinth/websocket/hono";
 *
 * const container = createContainer();
 * addEndpoint(container, "/chat/{room}", {
 *   onOpen: (session) => session.pathParameters.room,
 *   onText: (room, text) => console.log(room, text),
 * });
 * const app = new Hono();
 * const sockets = mount(app, container, upgradeWebSocket);
 * app.get("/", (c) => c.text("hello"));
 * Deno.serve({ port: 8080 }, app.fetch);
 * addEventListener("unload", () => void sockets.shutdown());
 * ```
 *
 * @module
 */
import { stateOf } from "../src/container.ts";
import type { EndpointRegistration, ServerContainer } from "../src/container.ts";
import { acceptUpgrade } from "../src/handshake.ts";
import type { AcceptedUpgrade } from "../src/handshake.ts";
import {
  BunSocketWithoutTopics,
  isBunServerWebSocket,
  isNodeWs,
  isWebStandardWebSocket,
  NodeWsSocket,
  WebStandardSocket,
} from "../src/runtime_sockets.ts";
import type { NodeWsEvents } from "../src/runtime_sockets.ts";
import { ServerScope } from "../src/server_scope.ts";
import type { ShutdownOptions } from "../src/server_scope.ts";
import type { WsSession } from "../src/session.ts";
import type { SocketLike } from "../src/socket.ts";
import { standaloneRegistration } from "../src/standalone.ts";
import type { EndpointMap } from "../src/types.ts";
import { describe } from "../src/validate.ts";

export type { ShutdownOptions };

/**
 * What plinth uses of Hono's `Context` (any Hono `Context` is one).
 *
 * @example
 * ```ts
 * import type { HonoContext } from "@plinth/websocket/hono";
 * const pathOf = (c: HonoContext) => new URL(c.req.raw.url).pathname;
 * ```
 */
export interface HonoContext {
  /** The request: the Web `Request`, the matched route, its parameters. */
  readonly req: {
    readonly raw: Request;
    readonly routePath: string;
    param(key: string): string | undefined;
  };
  /** The runtime's bindings (the Bun server on Bun, node-server's `{ incoming, outgoing }` on Node). */
  env: unknown;
}

/**
 * What plinth uses of Hono's `WSContext`, the socket a helper hands to the events.
 *
 * @example
 * ```ts
 * import type { HelperSocket } from "@plinth/websocket/hono";
 * const isOpen = (ws: HelperSocket) => ws.readyState === 1;
 * ```
 */
export interface HelperSocket {
  /** The runtime's socket: Deno's `WebSocket`, Bun's `ServerWebSocket`, `ws`'s `WebSocket`. */
  readonly raw?: unknown;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Sends a text or binary message. */
  send(data: string | Uint8Array<ArrayBuffer>): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
}

/**
 * The events plinth hands to a Hono `upgradeWebSocket` helper (Hono's `WSEvents`).
 *
 * @example
 * ```ts
 * import type { HelperEvents } from "@plinth/websocket/hono";
 * const events: HelperEvents = { onOpen: (_event, ws) => ws.send("hello") };
 * ```
 */
export interface HelperEvents {
  /** The socket opened. */
  onOpen?(event: Event, ws: HelperSocket): void;
  /** A message arrived. */
  onMessage?(event: MessageEvent, ws: HelperSocket): void;
  /** The connection closed (a `CloseEvent`; typed by the fields used, so Node's types suffice). */
  onClose?(event: { readonly code: number; readonly reason: string }, ws: HelperSocket): void;
  /** The socket failed (a close follows). */
  onError?(event: Event, ws: HelperSocket): void;
}

/**
 * A Hono `upgradeWebSocket` helper, called in its three-argument form
 * `upgradeWebSocket(c, events, options)`: `hono/deno`'s, `hono/bun`'s,
 * `@hono/node-server`'s, or `@plinth/websocket/node`'s. plinth passes
 * `{ protocol, idleTimeout: 0 }` as `options`.
 *
 * @example
 * ```ts
 * import { upgradeWebSocket } from "hono/deno";
 * import type { UpgradeWebSocketHelper } from "@plinth/websocket/hono";
 * const helper: UpgradeWebSocketHelper<Deno.UpgradeWebSocketOptions> = upgradeWebSocket;
 * ```
 */
export type UpgradeWebSocketHelper<U = never> = {
  // A method's type, so parameters compare bivariantly with each helper's own Context and events types.
  upgrade(c: HonoContext, events: HelperEvents, options?: U): Promise<Response>;
}["upgrade"];

/**
 * A Hono app, as far as {@linkcode mount} uses it.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { HonoApp } from "@plinth/websocket/hono";
 * const app: HonoApp = new Hono();
 * ```
 */
export interface HonoApp {
  /** Registers `handler` for every method on `path`. */
  all(path: string, handler: RouteHandler): unknown;
}

/**
 * The sessions of a group of routes, so they can be shut down together:
 * `shutdown()` closes every one with 1001 and waits for their `onClose`;
 * from then on the routes answer handshakes with 503. `mount` makes one;
 * pass the same scope to several `websocket` routes (or a `mount`) to group them.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { upgradeWebSocket } from "hono/deno";
 * import { RouteScope, websocket } from "@plinth/websocket/hono";
 *
 * const scope = new RouteScope();
 * const app = new Hono();
 * app.get("/ws", websocket({ onText: (_s, text) => console.log(text) }, upgradeWebSocket, { scope }));
 * const server = Deno.serve({ port: 8080 }, app.fetch);
 * await scope.shutdown();
 * await server.shutdown();
 * ```
 */
export class RouteScope {
  /** @internal */
  readonly _scope: ServerScope = new ServerScope();

  /** How many sessions are open through these routes. */
  get size(): number {
    return this._scope.size;
  }

  /** False once `shutdown()` began: handshakes then get 503. */
  get accepting(): boolean {
    return this._scope.accepting;
  }

  /**
   * Closes every session with 1001, waits for their `onClose` (terminating
   * those that do not finish the closing handshake within `timeoutMs`, default 5000).
   * @throws {TypeError} / {RangeError} naming a wrong option
   */
  shutdown(options?: ShutdownOptions): Promise<void> {
    return this._scope.closeAll(options);
  }
}

/**
 * Options of {@linkcode websocket}.
 *
 * @example
 * ```ts
 * import { RouteScope } from "@plinth/websocket/hono";
 * import type { RouteOptions } from "@plinth/websocket/hono";
 * const options: RouteOptions = { scope: new RouteScope() };
 * ```
 */
export interface RouteOptions {
  /** Where the route's sessions are tracked for `shutdown()`; default: none. */
  scope?: RouteScope;
}

/**
 * Options of {@linkcode mount}.
 *
 * @example
 * ```ts
 * import type { MountOptions } from "@plinth/websocket/hono";
 * const options: MountOptions = {};
 * ```
 */
export interface MountOptions {
  /** The scope to track sessions in; default: a new one, which `mount` returns. */
  scope?: RouteScope;
}

/**
 * A Hono route handler, as {@linkcode websocket} returns it.
 *
 * @example
 * ```ts
 * import type { RouteHandler } from "@plinth/websocket/hono";
 * const notYet: RouteHandler = () => Promise.resolve(new Response("soon", { status: 503 }));
 * ```
 */
export type RouteHandler = (c: HonoContext) => Promise<Response>;

/** The options every helper gets: `hono/deno` and `@plinth/websocket/node` honour `protocol`. */
interface HelperOptions {
  protocol: string | undefined;
  idleTimeout: number;
}

/** Bun's `server.upgrade`, as `hono/bun` calls it on `c.env`. */
interface BunUpgrader {
  upgrade(request: Request, options?: { headers?: HeadersInit; data?: unknown }): boolean;
}

const isBunUpgrader = (value: unknown): value is BunUpgrader =>
  typeof value === "object" && value !== null && typeof (value as { upgrade?: unknown }).upgrade === "function";

const textDecoder = new TextDecoder();

/** Whether this process runs on Deno (whose `upgradeWebSocket` `hono/deno` calls). */
const ON_DENO = typeof (globalThis as { Deno?: unknown }).Deno === "object";

/**
 * One connection's events, handed to the helper. Node's `ws` socket is fed
 * directly (its `message`/`close` listeners), so the hono events for those are
 * dropped once the socket is known and node-server makes no event per message.
 */
class RouteConnection implements HelperEvents {
  #session: WsSession | null = null;
  readonly #accepted: AcceptedUpgrade;
  onMessage?: (event: MessageEvent) => void = this.#message;
  onClose?: (event: CloseEvent) => void = this.#close;

  constructor(accepted: AcceptedUpgrade) {
    this.#accepted = accepted;
  }

  onOpen(_event: Event, ws: HelperSocket): void {
    const raw = ws.raw;
    let socket: SocketLike;
    if (isNodeWs(raw)) {
      socket = new NodeWsSocket(raw);
      this.onMessage = undefined;
      this.onClose = undefined;
      this.#listen(raw);
    } else if (isBunServerWebSocket(raw)) {
      socket = new BunSocketWithoutTopics(raw); // hono/bun hides the server's publish: topics use the core's loop
    } else if (isWebStandardWebSocket(raw)) {
      (raw as { binaryType?: string }).binaryType = "arraybuffer";
      socket = new WebStandardSocket(raw);
    } else {
      socket = new ContextSocket(ws);
    }
    const session = this.#accepted.connect(socket, false);
    this.#session = session;
    session.opened();
  }

  onError(): void {
    // A close follows; its code tells what happened.
  }

  #message(event: MessageEvent): void {
    const session = this.#session;
    if (session === null) return;
    const data = event.data;
    if (typeof data === "string") session.receiveText(data);
    else if (data instanceof ArrayBuffer) session.receiveBinary(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) {
      const view = data as ArrayBufferView;
      session.receiveBinary(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    } else {
      // A Blob: only from a helper whose socket ignores binaryType "arraybuffer"; none of the supported ones.
      session.logError("plinth: the WebSocket helper delivered a binary message as a Blob; it was dropped", undefined);
    }
  }

  #close(event: CloseEvent): void {
    if (this.#session === null) this.#accepted.abandon(); // closed before it opened: no session to wait for
    else this.#session.receiveClose(event.code, event.reason);
  }

  #listen(raw: NodeWsEvents): void {
    raw.on("message", (data, isBinary) => {
      const session = this.#session;
      if (session === null) return;
      const bytes = data as Uint8Array;
      if (isBinary) session.receiveBinary(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      else session.receiveText(textDecoder.decode(bytes));
    });
    raw.on("close", (code, reason) => this.#session?.receiveClose(code, textDecoder.decode(reason)));
  }
}

/** A socket known only through Hono's `WSContext` (no buffered amount, no abort). */
class ContextSocket implements SocketLike {
  readonly #ws: HelperSocket;
  constructor(ws: HelperSocket) {
    this.#ws = ws;
  }
  get bufferedAmount(): number {
    return 0;
  }
  send(data: string | Uint8Array): number {
    if (this.#ws.readyState !== 1) return 0;
    this.#ws.send(data as string | Uint8Array<ArrayBuffer>);
    return 1; // nothing can be known buffered
  }
  close(code: number, reason: string): void {
    this.#ws.close(code, reason);
  }
  terminate(): void {
    if (this.#ws.readyState === 1) this.#ws.close();
  }
}

/** Runs the handshake rules, then upgrades with the helper. */
async function upgradeRoute<U>(
  c: HonoContext,
  registration: EndpointRegistration,
  pathParameters: Record<string, string>,
  upgradeWebSocket: UpgradeWebSocketHelper<U>,
  scope: RouteScope | undefined,
): Promise<Response> {
  const accepted = await acceptUpgrade(registration.container, c.req.raw, {
    registration,
    pathParameters,
    scope: scope?._scope ?? null,
  });
  if (accepted === null) return new Response("Not Found", { status: 404 });
  if (accepted instanceof Response) return accepted;
  const events = new RouteConnection(accepted);
  // Deno's upgradeWebSocket (hono/deno's) finds the protocol only in an offer written `a, b`;
  // otherwise the 101 gets it below.
  const findsProtocol = !ON_DENO || accepted.runtimeFindsProtocol;
  const options: HelperOptions = {
    protocol: accepted.protocol === "" || !findsProtocol ? undefined : accepted.protocol,
    idleTimeout: 0,
  };
  // hono/bun upgrades with `c.env` (the Bun server, or `c.env.server`): a stand-in adds the
  // negotiated protocol ("" makes Bun send none) and modifyHandshake's headers to the 101.
  const env: unknown = c.env;
  const bun = isBunUpgrader(env) ? env : isBunUpgrader((env as { server?: unknown } | undefined)?.server)
    ? (env as { server: BunUpgrader }).server
    : null;
  if (bun !== null) {
    const headers = new Headers(accepted.headers);
    headers.set("sec-websocket-protocol", accepted.protocol);
    c.env = {
      server: {
        upgrade: (request: Request, upgradeOptions: { data?: unknown } = {}) =>
          bun.upgrade(request, { ...upgradeOptions, headers }),
      },
    };
  }
  let response: Response;
  try {
    response = await upgradeWebSocket(c, events, options as U);
  } catch {
    accepted.abandon();
    return new Response("Bad WebSocket handshake", { status: 400 });
  } finally {
    if (bun !== null) c.env = env;
  }
  // hono/deno's 101 takes them here; node-server copies them onto its 101.
  if (bun === null) {
    accepted.headers.forEach((value, key) => response.headers.set(key, value));
    if (!findsProtocol) response.headers.set("sec-websocket-protocol", accepted.protocol);
  }
  return response;
}

/**
 * A Hono handler that upgrades requests of its route to `endpoint`, with
 * Hono's path parameters as `session.pathParameters` (Pedestal 0.8's routed
 * upgrade). The endpoint's config path is the route's path. Register it for
 * every method (`app.all`) to answer plain requests with 426, or `app.get`.
 *
 * @throws {TypeError} when `upgradeWebSocket` is not a function, or `endpoint` is not a valid endpoint map
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { upgradeWebSocket, websocket as bunWebSocket } from "hono/bun";
 * import { websocket } from "@plinth/websocket/hono";
 *
 * const app = new Hono();
 * app.all("/rooms/:room", websocket({
 *   onOpen: (session) => session.pathParameters.room,
 *   onText: (room, text) => console.log(room, text),
 * }, upgradeWebSocket));
 * Bun.serve({ port: 8080, fetch: app.fetch, websocket: { ...bunWebSocket, idleTimeout: 0 } });
 * ```
 */
export function websocket<S, U>(
  endpoint: EndpointMap<S>,
  upgradeWebSocket: UpgradeWebSocketHelper<U>,
  options: RouteOptions = {},
): RouteHandler {
  checkHelper(upgradeWebSocket, "websocket");
  const scope = checkScope(options, "websocket");
  return (c) => {
    const routePath = c.req.routePath;
    const registration = standaloneRegistration(endpoint, routePath);
    const pathParameters: Record<string, string> = {};
    for (const name of parameterNames(routePath)) pathParameters[name] = c.req.param(name) ?? "";
    return upgradeRoute(c, registration, pathParameters, upgradeWebSocket, scope);
  };
}

const routeParameterNames = new Map<string, readonly string[]>();

/** The parameter names of a Hono route path (`/rooms/:room{[a-z]+}/:tab?` → room, tab). */
function parameterNames(routePath: string): readonly string[] {
  let names = routeParameterNames.get(routePath);
  if (names === undefined) {
    names = [...routePath.matchAll(/\/:([^/{}?]+)/g)].map((match) => match[1]!);
    routeParameterNames.set(routePath, names);
  }
  return names;
}

/** The Hono path for an endpoint path: `{name}` → `:p0`, `:p1`…, mapped back to the template's names. */
function honoPath(registration: EndpointRegistration): string {
  let variable = 0;
  const segments = registration.template.segments.map((segment) => segment === null ? `:p${variable++}` : segment);
  return "/" + segments.join("/");
}

/**
 * Registers every endpoint of `container` on `app` (for every method, so a
 * plain request gets 426): exact paths first, then templates, most specific
 * first, so an exact path beats a template as with a container. A template
 * `/chat/{room}` becomes the Hono route `/chat/:p0`, its value
 * `session.pathParameters.room`. Add endpoints before mounting.
 *
 * @returns the scope of the mounted routes: `shutdown()` closes their sessions
 * @throws {TypeError} when `app`, `container` or `upgradeWebSocket` is wrong
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { upgradeWebSocket } from "hono/deno";
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { mount } from "@plinth/websocket/hono";
 *
 * const container = createContainer();
 * addEndpoint(container, "/echo", {
 *   onOpen: (session) => session,
 *   onText: (session, text) => void session.asyncRemote.sendText(text),
 * });
 * const app = new Hono();
 * const sockets = mount(app, container, upgradeWebSocket);
 * const server = Deno.serve({ port: 8080 }, app.fetch);
 * await sockets.shutdown();
 * await server.shutdown();
 * ```
 */
export function mount<U>(
  app: HonoApp,
  container: ServerContainer,
  upgradeWebSocket: UpgradeWebSocketHelper<U>,
  options: MountOptions = {},
): RouteScope {
  if (app === null || typeof app !== "object" || typeof (app as { all?: unknown }).all !== "function") {
    throw new TypeError(`mount: app must be a Hono app, got ${describe(app)}`);
  }
  let state;
  try {
    state = stateOf(container);
  } catch {
    throw new TypeError(`mount: container must come from createContainer(), got ${describe(container)}`);
  }
  checkHelper(upgradeWebSocket, "mount");
  const scope = checkScope(options, "mount") ?? new RouteScope();
  for (const registration of state.registrations()) {
    const names = registration.template.names;
    app.all(honoPath(registration), (c) => {
      const pathParameters: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) pathParameters[names[i]!] = c.req.param(`p${i}`) ?? "";
      return upgradeRoute(c, registration, pathParameters, upgradeWebSocket, scope);
    });
  }
  return scope;
}

function checkHelper(upgradeWebSocket: unknown, caller: string): void {
  if (typeof upgradeWebSocket !== "function") {
    throw new TypeError(`${caller}: upgradeWebSocket must be a Hono upgradeWebSocket helper, got ${describe(upgradeWebSocket)}`);
  }
}

function checkScope(options: RouteOptions, caller: string): RouteScope | undefined {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`${caller}: options must be an object, got ${describe(options)}`);
  }
  if (options.scope !== undefined && !(options.scope instanceof RouteScope)) {
    throw new TypeError(`${caller}: options.scope must be a RouteScope, got ${describe(options.scope)}`);
  }
  return options.scope;
}
