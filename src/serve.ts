import { stateOf } from "./container.ts";
import type { ServerContainer } from "./container.ts";
import { runHandshake } from "./handshake.ts";
import { NO_PATH_PARAMETERS } from "./path_template.ts";
import type { AcceptedUpgrade, HandshakeOutcome } from "./handshake.ts";
import { isThenable } from "./session.ts";
import { ServerScope } from "./server_scope.ts";
import type { ShutdownOptions } from "./server_scope.ts";
import { assertFunction, checkNonNegativeInteger, describe } from "./validate.ts";

/** Serves requests that reach no endpoint (pages, assets, APIs). */
export type Fallback = (request: Request) => Response | Promise<Response>;

/**
 * Options of every adapter's `serve(container, options)`.
 *
 * @example
 * ```ts
 * import type { ServeOptions } from "@plinth/websocket";
 * const options: ServeOptions = {
 *   port: 8080,
 *   fallback: () => new Response("not a WebSocket route", { status: 404 }),
 * };
 * ```
 */
export interface ServeOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; default `127.0.0.1`. */
  hostname?: string;
  /** Handles requests to paths with no endpoint; default: 404. */
  fallback?: Fallback;
  /** Aborting it shuts the server down, as `shutdown()`. */
  signal?: AbortSignal;
  /**
   * Lets several processes serve one port, one per core (default `false`).
   * Deno (run with `--unstable-net`) and Bun set `SO_REUSEPORT` (Linux spreads connections over the
   * processes); on Node the processes are `cluster` workers, and the cluster
   * module shares the port (outside a worker, Node 22.12 and later set
   * `SO_REUSEPORT`; older Node rejects the option). Sessions, topics and
   * `maxSessions` stay per process: topics across processes need a backplane.
   */
  reusePort?: boolean;
}

/**
 * A running server, as every adapter's `serve` returns it.
 *
 * @example
 * ```ts
 * import type { PlinthServer } from "@plinth/websocket";
 * async function stop(server: PlinthServer) {
 *   console.log(`closing ${server.url}`);
 *   await server.shutdown({ timeoutMs: 2000 });
 * }
 * ```
 */
export interface PlinthServer {
  /** The port it listens on. */
  readonly port: number;
  /** Its base URL, `http://host:port` (a WebSocket client takes it as is or with `ws:`). */
  readonly url: string;
  /** Closes every session with 1001, waits for their `onClose`, then stops listening. */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/** Serve options with defaults filled in. */
export interface SettledServeOptions {
  readonly port: number;
  readonly hostname: string;
  readonly fallback: Fallback | undefined;
  readonly signal: AbortSignal | undefined;
  readonly reusePort: boolean;
}

/**
 * Checks an adapter's serve options.
 * @throws {TypeError} / {RangeError} naming the option
 */
export function settleServeOptions(options: ServeOptions = {}): SettledServeOptions {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`serve: options must be an object, got ${describe(options)}`);
  }
  const port = options.port === undefined ? 0 : checkNonNegativeInteger(options.port, "options.port");
  if (port > 65535) throw new RangeError(`options.port must be at most 65535, got ${port}`);
  const hostname = options.hostname ?? "127.0.0.1";
  if (typeof hostname !== "string" || hostname === "") {
    throw new TypeError(`options.hostname must be a non-empty string, got ${describe(hostname)}`);
  }
  if (options.fallback !== undefined) assertFunction(options.fallback, "options.fallback");
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) {
    throw new TypeError(`options.signal must be an AbortSignal, got ${describe(options.signal)}`);
  }
  if (options.reusePort !== undefined && typeof options.reusePort !== "boolean") {
    throw new TypeError(`options.reusePort must be a boolean, got ${describe(options.reusePort)}`);
  }
  return { port, hostname, fallback: options.fallback, signal: options.signal, reusePort: options.reusePort === true };
}

/** The base URL of a server listening on `hostname`:`port`. */
export function serverUrl(hostname: string, port: number): string {
  const host = hostname.includes(":") ? `[${hostname}]` : hostname === "0.0.0.0" ? "127.0.0.1" : hostname;
  return `http://${host}:${port}`;
}

/** Answers a request that reached no endpoint: the fallback, else 404. */
export async function answerWithFallback(
  container: ServerContainer,
  fallback: Fallback | undefined,
  request: Request,
): Promise<Response> {
  if (fallback === undefined) {
    return new Response("Not Found", { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } });
  }
  try {
    return await fallback(request);
  } catch (error) {
    stateOf(container).options.logger.error("plinth: the fallback handler failed", error);
    return new Response("Internal Server Error", { status: 500 });
  }
}

/**
 * The request path every adapter shares: handshake rules, then either the
 * adapter's runtime upgrade (`upgrade`), the refusal, or the fallback.
 * `rawHeaders`: the request's headers as Node's flat `[name, value, …]`
 * list, when the adapter has it (cheaper than undici's `request.headers`).
 */
export function routeRequest(
  container: ServerContainer,
  request: Request,
  scope: ServerScope | null,
  fallback: Fallback | undefined,
  upgrade: (accepted: AcceptedUpgrade) => Response | undefined | Promise<Response | undefined>,
  rawHeaders?: readonly string[],
): Response | undefined | Promise<Response | undefined> {
  const outcome = runHandshake(stateOf(container), request, undefined, NO_PATH_PARAMETERS, scope, rawHeaders);
  // Synchronous unless a handshake hook is async: no promise per handshake on the common path.
  if (isThenable(outcome)) return outcome.then((settled) => finishRoute(container, request, fallback, upgrade, settled));
  return finishRoute(container, request, fallback, upgrade, outcome);
}

function finishRoute(
  container: ServerContainer,
  request: Request,
  fallback: Fallback | undefined,
  upgrade: (accepted: AcceptedUpgrade) => Response | undefined | Promise<Response | undefined>,
  outcome: HandshakeOutcome,
): Response | undefined | Promise<Response | undefined> {
  if (outcome === null) return answerWithFallback(container, fallback, request);
  if (outcome instanceof Response) return outcome;
  return upgrade(outcome);
}

/** Runs `shutdown` once when `signal` aborts. */
export function shutdownOnAbort(signal: AbortSignal | undefined, shutdown: () => Promise<void>): void {
  if (signal === undefined) return;
  if (signal.aborted) {
    void shutdown();
    return;
  }
  signal.addEventListener("abort", () => void shutdown(), { once: true });
}

export { ServerScope };

/** The floor of a runtime's own message limit (64 MiB), so a session that raises its limit after the server started keeps room. */
export const RUNTIME_MESSAGE_LIMIT_FLOOR = 64 * 1024 * 1024;
/** The largest limit Bun's and `ws`'s options take. */
const RUNTIME_MESSAGE_LIMIT_CEILING = 0xffffffff;

/**
 * The message-size limit to give a runtime that enforces its own (Bun's
 * `maxPayloadLength`, `ws`'s `maxPayload`) when serving `container`: above
 * every endpoint's text and binary limit, so the core's 1009 always fires
 * first, and at least 64 MiB, so a session that raises its own limit keeps room.
 */
export function runtimeMessageLimit(container: ServerContainer): number {
  let largest = 0;
  for (const registration of stateOf(container).registrations()) {
    largest = Math.max(largest, registration.maxText, registration.maxBinary);
  }
  return Math.min(RUNTIME_MESSAGE_LIMIT_CEILING, Math.max(RUNTIME_MESSAGE_LIMIT_FLOOR, largest + 1));
}
