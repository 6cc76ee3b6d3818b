import { checkBackplane } from "./backplane.ts";
import type { BackplaneReceiver } from "./backplane.ts";
import { checkSubprotocols, EndpointConfigBuilder } from "./endpoint_config.ts";
import type { EndpointConfig } from "./endpoint_config.ts";
import { compareTemplateSpecificity, matchPathTemplate, NO_PATH_PARAMETERS, parsePathTemplate } from "./path_template.ts";
import type { PathTemplate } from "./path_template.ts";
import { checkTopic, TopicTable } from "./topics.ts";
import { DEFAULT_PING_INTERVAL_MS } from "./heartbeat.ts";
import type { ContainerOptions, EndpointMap, Logger, Session } from "./types.ts";
import { assertFunction, checkNonNegativeInteger, checkPositiveInteger, describe } from "./validate.ts";

/** The default text and binary message limit: 1 MiB. */
export const DEFAULT_MESSAGE_LIMIT = 1024 * 1024;
/** The default bytes a topic subscriber may have buffered before it is closed with 1008: 1 MiB. */
export const DEFAULT_BACKPRESSURE_LIMIT = 1024 * 1024;

/** Reads a container's private state; set by the class's static block. */
let readState: (container: ServerContainer) => ContainerState;
let wrapState: (state: ContainerState) => ServerContainer;
/** Set only while `wrapState` constructs a container around an existing state. */
let adoptedState: ContainerState | null = null;

/**
 * Maps paths to endpoints and holds container-wide defaults, as a Jakarta
 * `ServerContainer`. Made by {@linkcode createContainer}, filled by
 * {@linkcode addEndpoint}, served by an adapter.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * const container = createContainer();
 * addEndpoint(container, "/news", { onOpen: (session) => session.subscribe("news") });
 * container.publish("news", "extra, extra");
 * ```
 */
export class ServerContainer {
  readonly #state: ContainerState;

  static {
    readState = (container) => container.#state;
    wrapState = (state) => {
      adoptedState = state;
      try {
        return new ServerContainer();
      } finally {
        adoptedState = null;
      }
    };
  }

  /** Use {@linkcode createContainer}. */
  constructor(options: ContainerOptions = {}) {
    this.#state = adoptedState ?? new ContainerState(options);
  }

  /**
   * Sends `payload` to every session subscribed to `topic`, on every endpoint
   * (and, with a backplane, in every process attached to it).
   * @throws {TypeError} when `topic` is not a non-empty string or `payload` is not text or binary data
   */
  publish(topic: string, payload: string | ArrayBuffer | ArrayBufferView): void {
    this.#state.topics.publish(topic, payload, null);
  }
}

/**
 * The routes, defaults and topics behind a container (for adapters and tests).
 * @throws {TypeError} when `container` did not come from {@linkcode createContainer}
 */
export function stateOf(container: ServerContainer): ContainerState {
  if (!(container instanceof ServerContainer)) {
    throw new TypeError(`container must come from createContainer(), got ${describe(container)}`);
  }
  return readState(container);
}

/**
 * Checks an adapter's `container` argument.
 * @throws {TypeError} naming `caller` when `container` did not come from {@linkcode createContainer}
 */
/**
 * A container serving the same endpoints (the same configs, limits and logger) with state of its
 * own: its own open sessions, topics and session counts. For a runtime that runs several servers
 * in one isolate (Durable Objects of one class), so no state spans them.
 */
export function forkContainer(container: ServerContainer): ServerContainer {
  const source = stateOf(container);
  const state = new ContainerState(source.options);
  for (const registration of source.registrations()) {
    const copy = new EndpointRegistration(registration.endpoint, registration.config, registration.template, state);
    state.keys.add(registration.template.key);
    if (registration.template.names.length === 0) state.exact.set(registration.template.requestPath, copy);
    else state.templates.push(copy);
  }
  return wrapState(state);
}

export function checkContainer(container: ServerContainer, caller: string): ServerContainer {
  if (!(container instanceof ServerContainer)) {
    throw new TypeError(`${caller}: container must come from createContainer(), got ${describe(container)}`);
  }
  return container;
}

/** An endpoint added to a container, with its settled config and limits. */
export class EndpointRegistration {
  /** The open sessions of this endpoint. */
  readonly openSessions: Set<Session> = new Set();
  /** Text limit in UTF-8 bytes. */
  readonly maxText: number;
  /** Binary limit in bytes. */
  readonly maxBinary: number;
  /** Idle timeout in ms; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Buffered bytes a subscriber may have before 1008. */
  readonly backpressureLimit: number;
  /** How long a channel send may wait for the socket; 0 = forever. */
  readonly sendTimeoutMs: number;
  /** Open sessions allowed; Infinity = no limit. */
  readonly maxSessions: number;
  /** Heartbeat: ping every this many ms, drop a peer that did not answer by the next; 0 = off. */
  readonly pingIntervalMs: number;
  /** Whether the heartbeat's timer visits this endpoint's sessions (see `heartbeat.ts`). */
  beating = false;
  /** This endpoint as the match of its exact path (one object, not one per handshake). */
  readonly exactMatch: RouteMatch;

  constructor(
    readonly endpoint: EndpointMap<unknown>,
    readonly config: EndpointConfig,
    readonly template: PathTemplate,
    readonly container: ContainerState,
  ) {
    const o = container.options;
    this.maxText = endpoint.maxTextMessageBufferSize ?? o.defaultMaxTextMessageBufferSize;
    this.maxBinary = endpoint.maxBinaryMessageBufferSize ?? o.defaultMaxBinaryMessageBufferSize;
    this.idleTimeoutMs = endpoint.idleTimeoutMs ?? o.defaultMaxIdleTimeoutMs;
    this.backpressureLimit = endpoint.backpressureLimit ?? DEFAULT_BACKPRESSURE_LIMIT;
    this.sendTimeoutMs = endpoint.sendTimeoutMs ?? 0;
    this.maxSessions = endpoint.maxSessions ?? Infinity;
    this.pingIntervalMs = endpoint.pingIntervalMs ?? o.defaultPingIntervalMs;
    this.exactMatch = Object.freeze({ registration: this, pathParameters: NO_PATH_PARAMETERS });
  }
}

/** A request path resolved to its endpoint. */
export interface RouteMatch {
  /** The endpoint. */
  readonly registration: EndpointRegistration;
  /** Values of the template's variables. */
  readonly pathParameters: Readonly<Record<string, string>>;
}

/** Settled container defaults. */
interface SettledOptions {
  readonly defaultMaxIdleTimeoutMs: number;
  readonly defaultPingIntervalMs: number;
  readonly defaultMaxTextMessageBufferSize: number;
  readonly defaultMaxBinaryMessageBufferSize: number;
  readonly logger: Logger;
}

/** A container's routes, defaults and topics. */
export class ContainerState {
  readonly options: SettledOptions;
  readonly exact: Map<string, EndpointRegistration> = new Map();
  readonly templates: EndpointRegistration[] = [];
  readonly keys: Set<string> = new Set();
  readonly topics: TopicTable;

  constructor(options: ContainerOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`createContainer: options must be an object, got ${describe(options)}`);
    }
    const logger = options.logger ?? console;
    if (logger === null || typeof logger !== "object" || typeof logger.error !== "function") {
      throw new TypeError("createContainer: options.logger must have an error(msg, err) method");
    }
    this.options = {
      defaultMaxIdleTimeoutMs: options.defaultMaxIdleTimeoutMs === undefined
        ? 0
        : checkNonNegativeInteger(options.defaultMaxIdleTimeoutMs, "options.defaultMaxIdleTimeoutMs"),
      defaultPingIntervalMs: options.defaultPingIntervalMs === undefined
        ? DEFAULT_PING_INTERVAL_MS
        : checkNonNegativeInteger(options.defaultPingIntervalMs, "options.defaultPingIntervalMs"),
      defaultMaxTextMessageBufferSize: options.defaultMaxTextMessageBufferSize === undefined
        ? DEFAULT_MESSAGE_LIMIT
        : checkNonNegativeInteger(options.defaultMaxTextMessageBufferSize, "options.defaultMaxTextMessageBufferSize"),
      defaultMaxBinaryMessageBufferSize: options.defaultMaxBinaryMessageBufferSize === undefined
        ? DEFAULT_MESSAGE_LIMIT
        : checkNonNegativeInteger(
          options.defaultMaxBinaryMessageBufferSize,
          "options.defaultMaxBinaryMessageBufferSize",
        ),
      logger,
    };
    if (options.backplane === undefined) {
      this.topics = new TopicTable();
    } else {
      const backplane = checkBackplane(options.backplane);
      const topics = new TopicTable(backplane, logger);
      this.topics = topics;
      const receiver: BackplaneReceiver = Object.freeze({
        deliver(topic: string, data: string | Uint8Array): void {
          checkTopic(topic);
          if (typeof data !== "string" && !(data instanceof Uint8Array)) {
            throw new TypeError(`deliver: data must be a string or Uint8Array, got ${describe(data)}`);
          }
          topics.deliver(topic, data, null);
        },
        logger,
      });
      backplane.attach(receiver);
    }
  }

  /** The endpoint serving `pathname`: an exact path first, then the most specific template. */
  match(pathname: string): RouteMatch | null {
    const exact = this.exact.get(pathname);
    if (exact !== undefined) return exact.exactMatch;
    for (const registration of this.templates) {
      const params = matchPathTemplate(registration.template, pathname);
      if (params !== null) return { registration, pathParameters: params };
    }
    return null;
  }

  /** Every endpoint, exact ones first. */
  registrations(): EndpointRegistration[] {
    return [...this.exact.values(), ...this.templates];
  }
}

/**
 * Makes a container: the paths-to-endpoints map an adapter serves.
 * @throws {TypeError} / {RangeError} naming the option that is wrong
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * const container = createContainer({ defaultMaxIdleTimeoutMs: 60_000 });
 * ```
 */
export function createContainer(options: ContainerOptions = {}): ServerContainer {
  return new ServerContainer(options);
}

const CALLBACKS = ["onOpen", "onClose", "onError", "onText", "onBinary", "configure"] as const;

/**
 * Adds an endpoint at `path`: exact (`/ws/echo`) or a URI template
 * (`/chat/{room}`). An exact path beats a template.
 *
 * @throws {TypeError} when `path` does not start with `/`, or a callback or setting has the wrong type
 * @throws {RangeError} when a limit is negative or not an integer
 * @throws {Error} when `path` is already taken or is a malformed template
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * const container = createContainer();
 * addEndpoint(container, "/chat/{room}", {
 *   onOpen: (session) => session.pathParameters.room,
 *   onText: (room, text) => console.log(room, text),
 * });
 * ```
 */
export function addEndpoint<S>(container: ServerContainer, path: string, endpoint: EndpointMap<S>): void {
  const state = stateOf(container);
  const template = parsePathTemplate(path);
  if (state.keys.has(template.key)) {
    throw new Error(`addEndpoint: path ${JSON.stringify(path)} is already taken`);
  }
  const registration = buildRegistration(state, template, endpoint);
  state.keys.add(template.key);
  if (template.names.length === 0) {
    state.exact.set(template.requestPath, registration);
  } else {
    state.templates.push(registration);
    state.templates.sort((a, b) => compareTemplateSpecificity(a.template, b.template));
  }
}

/**
 * Checks an endpoint map and settles its config: `subprotocols` first, then `configure(builder)`.
 * @throws {TypeError} / {RangeError} naming the callback or setting that is wrong
 */
export function buildRegistration<S>(
  state: ContainerState,
  template: PathTemplate,
  endpoint: EndpointMap<S>,
): EndpointRegistration {
  const path = template.source;
  if (endpoint === null || typeof endpoint !== "object") {
    throw new TypeError(`addEndpoint: endpoint for ${path} must be an object, got ${describe(endpoint)}`);
  }
  for (const name of CALLBACKS) {
    if (endpoint[name] !== undefined) assertFunction(endpoint[name], `endpoint.${name} (${path})`);
  }
  for (const name of LIMITS) {
    if (endpoint[name] !== undefined) checkNonNegativeInteger(endpoint[name], `endpoint.${name} (${path})`);
  }
  if (endpoint.maxSessions !== undefined) checkPositiveInteger(endpoint.maxSessions, `endpoint.maxSessions (${path})`);
  const builder = new EndpointConfigBuilder(path);
  if (endpoint.subprotocols !== undefined) {
    builder.subprotocols(checkSubprotocols(endpoint.subprotocols, `endpoint.subprotocols (${path})`));
  }
  endpoint.configure?.(builder);
  return new EndpointRegistration(endpoint as EndpointMap<unknown>, builder.build(), template, state);
}

const LIMITS = [
  "idleTimeoutMs",
  "maxTextMessageBufferSize",
  "maxBinaryMessageBufferSize",
  "backpressureLimit",
  "sendTimeoutMs",
  "pingIntervalMs",
] as const;

/**
 * Adds several endpoints at once (Pedestal's `:websockets` map): keys are paths.
 * @throws as {@linkcode addEndpoint}, for the first entry that is wrong
 *
 * @example
 * ```ts
 * import { addEndpoints, createContainer } from "@plinth/websocket";
 * const container = createContainer();
 * addEndpoints(container, {
 *   "/echo": { onText: () => {} },
 *   "/rooms/{room}": { onOpen: (session) => session.pathParameters.room },
 * });
 * ```
 */
export function addEndpoints(container: ServerContainer, websockets: Record<string, EndpointMap<unknown>>): void {
  if (websockets === null || typeof websockets !== "object") {
    throw new TypeError(`addEndpoints: websockets must be an object of path → endpoint, got ${describe(websockets)}`);
  }
  for (const [path, endpoint] of Object.entries(websockets)) addEndpoint(container, path, endpoint);
}
