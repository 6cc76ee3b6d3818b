import { assertFunction } from "./validate.ts";

/**
 * Hooks into the handshake, as `ServerEndpointConfig.Configurator`. Every hook is optional.
 *
 * @example
 * ```ts
 * import type { Configurator } from "@plinth/websocket";
 * const onlyOurSite: Configurator = {
 *   checkOrigin: (origin) => origin === "https://example.com",
 *   modifyHandshake(_config, request) {
 *     if (!request.headers.get("authorization")) return new Response("Unauthorized", { status: 401 });
 *   },
 * };
 * ```
 */
export interface Configurator {
  /** Whether to accept a handshake with this `Origin` header (`""` when absent); false → 403. */
  checkOrigin?(origin: string, request: Request): boolean;
  /** Picks the subprotocol from the client's list (`requested`, in its order); `""` for none. */
  getNegotiatedSubprotocol?(supported: readonly string[], requested: readonly string[]): string;
  /**
   * Adjusts the handshake: headers set on `response.headers` go out with the 101 response;
   * returning a `Response` rejects the upgrade with it.
   */
  modifyHandshake?(
    config: EndpointConfig,
    request: Request,
    response: { headers: Headers },
  ): void | Response | Promise<void | Response>;
}

/**
 * An endpoint's settled configuration, as `ServerEndpointConfig`.
 *
 * @example
 * ```ts
 * import type { EndpointMap } from "@plinth/websocket";
 * const endpoint: EndpointMap = {
 *   onOpen(_session, config) {
 *     console.log(config.path, config.subprotocols, config.userProperties.get("role"));
 *   },
 * };
 * ```
 */
export interface EndpointConfig {
  /** The path or path template the endpoint is served at. */
  readonly path: string;
  /** The subprotocols the endpoint supports. */
  readonly subprotocols: readonly string[];
  /** Properties copied into every session's `userProperties`. */
  readonly userProperties: Map<string, unknown>;
  /** The handshake hooks. */
  readonly configurator: Configurator;
}

/**
 * Builds an {@linkcode EndpointConfig}, as `ServerEndpointConfig.Builder`; an endpoint's
 * `configure(builder)` receives one.
 *
 * @example
 * ```ts
 * import type { EndpointMap } from "@plinth/websocket";
 * const endpoint: EndpointMap = {
 *   configure(builder) {
 *     builder.subprotocols(["v2.chat", "v1.chat"]).userProperty("role", "chat");
 *   },
 * };
 * ```
 */
export class EndpointConfigBuilder {
  /** The path the endpoint is being added at. */
  readonly path: string;
  #subprotocols: readonly string[] = [];
  #configurator: Configurator = {};
  #userProperties = new Map<string, unknown>();

  /**
   * Starts a config for an endpoint at `path`.
   * @param path the endpoint's path
   */
  constructor(path: string) {
    if (typeof path !== "string") throw new TypeError(`EndpointConfigBuilder: path must be a string, got ${typeof path}`);
    this.path = path;
  }

  /**
   * Sets the supported subprotocols.
   * @throws {TypeError} unless `list` is an array of non-empty strings
   */
  subprotocols(list: readonly string[]): this {
    this.#subprotocols = checkSubprotocols(list, "subprotocols");
    return this;
  }

  /**
   * Sets the handshake hooks.
   * @throws {TypeError} unless `configurator` is an object whose hooks are functions
   */
  configurator(configurator: Configurator): this {
    if (configurator === null || typeof configurator !== "object") {
      throw new TypeError(`configurator must be an object, got ${configurator === null ? "null" : typeof configurator}`);
    }
    for (const hook of ["checkOrigin", "getNegotiatedSubprotocol", "modifyHandshake"] as const) {
      if (configurator[hook] !== undefined) assertFunction(configurator[hook], `configurator.${hook}`);
    }
    this.#configurator = configurator;
    return this;
  }

  /** Sets one user property, copied into each session's `userProperties`. */
  userProperty(key: string, value: unknown): this {
    this.#userProperties.set(key, value);
    return this;
  }

  /** The config as built so far. */
  build(): EndpointConfig {
    return Object.freeze({
      path: this.path,
      subprotocols: Object.freeze([...this.#subprotocols]),
      userProperties: new Map(this.#userProperties),
      configurator: this.#configurator,
    });
  }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Checks a subprotocol list: an array of HTTP tokens.
 * @throws {TypeError} naming `name` otherwise
 */
export function checkSubprotocols(list: unknown, name: string): readonly string[] {
  if (!Array.isArray(list)) throw new TypeError(`${name} must be an array of strings, got ${typeof list}`);
  for (const item of list) {
    if (typeof item !== "string" || !TOKEN.test(item)) {
      throw new TypeError(`${name} must hold subprotocol tokens, got ${JSON.stringify(item)}`);
    }
  }
  return list as readonly string[];
}
