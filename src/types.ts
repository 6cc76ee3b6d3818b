import type { Backplane } from "./backplane.ts";
import type { CloseReason } from "./close_reason.ts";
import type { EndpointConfig, EndpointConfigBuilder } from "./endpoint_config.ts";
import type { WebSocketSendAsync } from "./send_async.ts";

/** What a send reports: `"success"` once the runtime took the message, `"closed"` when the session had ended, or the error that prevented it. */
export type SendResult = "success" | "closed" | Error;

/** An object that knows how to send itself: the extension point of {@linkcode wsSendAsync}. */
export interface SelfSending {
  /** Sends this value through `remote`; resolves (never rejects) with the outcome. */
  [WebSocketSendAsync](remote: RemoteEndpoint): Promise<SendResult>;
}

/** Anything plinth can send: text, binary data, or a value that sends itself. */
export type Payload = string | ArrayBuffer | ArrayBufferView | Blob | SelfSending;

/** Where a send channel reports one message's {@linkcode SendResult}: a function, or anything with `put` (a channel). */
export type Respond = ((result: SendResult) => void) | { put(result: SendResult): unknown };

/** A value put on a {@linkcode SendChannel}: a payload, or a payload with a response target. */
export type Outgoing = Payload | readonly [Payload, Respond | null | undefined];

/**
 * The sending side of a session, as `jakarta.websocket.RemoteEndpoint.Async`.
 *
 * @example
 * ```ts
 * import type { Session } from "@plinth/websocket";
 * async function greet(session: Session) {
 *   const result = await session.asyncRemote.sendText("hello");
 *   if (result !== "success") console.log("not sent:", result);
 * }
 * ```
 */
export interface RemoteEndpoint {
  /** Sends a text frame; resolves with the result, never rejects. */
  sendText(text: string): Promise<SendResult>;
  /** Sends a binary frame; resolves with the result, never rejects. */
  sendBinary(data: ArrayBuffer | ArrayBufferView | Blob): Promise<SendResult>;
  /** Bytes handed to the runtime and not yet written to the network. */
  readonly bufferedAmount: number;
}

/**
 * One WebSocket connection, as `jakarta.websocket.Session`.
 *
 * @example
 * ```ts
 * import type { EndpointMap } from "@plinth/websocket";
 * const endpoint: EndpointMap = {
 *   onOpen(session) {
 *     console.log(session.id, session.pathParameters, session.negotiatedSubprotocol);
 *     return session;
 *   },
 * };
 * ```
 */
export interface Session {
  /** Unique among this process's sessions; never empty. */
  readonly id: string;
  /** The upgrade request. */
  readonly request: Request;
  /** The upgrade request's URL. */
  readonly requestURI: URL;
  /** Values of the endpoint path's `{name}` segments, percent-decoded. */
  readonly pathParameters: Readonly<Record<string, string>>;
  /** The subprotocol agreed in the handshake; `""` when none. */
  readonly negotiatedSubprotocol: string;
  /** Per-session properties, first copied from the endpoint config's `userProperties`. */
  readonly userProperties: Map<string, unknown>;
  /** True from `onOpen` until the session starts closing. */
  readonly isOpen: boolean;
  /** Idle timeout in milliseconds; 0 disables it. */
  maxIdleTimeout: number;
  /** Largest accepted text message in UTF-8 bytes (inclusive). */
  maxTextMessageBufferSize: number;
  /** Largest accepted binary message in bytes (inclusive). */
  maxBinaryMessageBufferSize: number;
  /** Sends to this session's client. */
  readonly asyncRemote: RemoteEndpoint;
  /** The open sessions of the same endpoint, this one included while it is open. */
  readonly openSessions: ReadonlySet<Session>;
  /** The topics this session is subscribed to. */
  readonly topics: ReadonlySet<string>;
  /** Subscribes this session to `topic`. */
  subscribe(topic: string): void;
  /** Unsubscribes this session from `topic`. */
  unsubscribe(topic: string): void;
  /** Sends `payload` to every subscriber of `topic` except this session. */
  publish(topic: string, payload: string | ArrayBuffer | ArrayBufferView): void;
  /** Starts the closing handshake; with no argument the code is 1000. Does nothing once closing. */
  close(reason?: CloseReason): void;
  /** Settles with the close reason once the session has closed and `onClose` has run. */
  readonly closed: Promise<CloseReason>;
}

/**
 * An endpoint: callbacks and settings, the seed's endpoint map.
 *
 * `S` is the session object: whatever `onOpen` returns (awaited), passed to the other callbacks.
 *
 * @example
 * ```ts
 * import type { EndpointMap } from "@plinth/websocket";
 * const echo: EndpointMap<{ session: import("@plinth/websocket").Session }> = {
 *   onOpen: (session) => ({ session }),
 *   onText: ({ session }, text) => void session.asyncRemote.sendText(text),
 *   idleTimeoutMs: 60_000,
 * };
 * ```
 */
export interface EndpointMap<S = unknown> {
  /** Runs once per accepted connection; its value (awaited) is the session object. */
  onOpen?(session: Session, config: EndpointConfig): S | Promise<S>;
  /** Runs exactly once for every session whose `onOpen` ran. */
  onClose?(sessionObject: S, session: Session, reason: CloseReason): void | Promise<void>;
  /** Receives errors thrown or rejected by this endpoint's callbacks. */
  onError?(sessionObject: S, session: Session, error: unknown): void | Promise<void>;
  /** Receives each whole text message, in arrival order. */
  onText?(sessionObject: S, text: string): void | Promise<void>;
  /** Receives each whole binary message, in arrival order; the array is the callback's to keep. */
  onBinary?(sessionObject: S, data: Uint8Array): void | Promise<void>;
  /** Runs once, when the endpoint is added, to adjust its config. */
  configure?(builder: EndpointConfigBuilder): void;
  /** Subprotocols this endpoint speaks, in order of preference for ties. */
  subprotocols?: string[];
  /** Close idle sessions after this many milliseconds; 0 = never. */
  idleTimeoutMs?: number;
  /** Largest accepted text message in UTF-8 bytes. */
  maxTextMessageBufferSize?: number;
  /** Largest accepted binary message in bytes. */
  maxBinaryMessageBufferSize?: number;
  /** Bytes a topic subscriber may have buffered before it is closed with 1008. */
  backpressureLimit?: number;
  /** A send channel message waiting longer than this for the socket closes the session with 1008. */
  sendTimeoutMs?: number;
  /** Open sessions allowed at once; beyond it the handshake gets 503. */
  maxSessions?: number;
}

/**
 * Container-wide defaults, as the options of Jetty's WebSocket container.
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * const container = createContainer({ defaultMaxIdleTimeoutMs: 30_000, defaultMaxTextMessageBufferSize: 64 * 1024 });
 * ```
 */
export interface ContainerOptions {
  /** Idle timeout for endpoints that set none; 0 = never (the default). */
  defaultMaxIdleTimeoutMs?: number;
  /** Text message limit in UTF-8 bytes for endpoints that set none; default 1 MiB. */
  defaultMaxTextMessageBufferSize?: number;
  /** Binary message limit in bytes for endpoints that set none; default 1 MiB. */
  defaultMaxBinaryMessageBufferSize?: number;
  /** Where errors with nowhere else to go are reported; default `console`. */
  logger?: Logger;
  /**
   * Topics across processes: publishes also reach the subscribers of every
   * process attached to the same backplane (`redisBackplane` from
   * `@plinth/websocket/redis`, or any {@linkcode Backplane}). One container per backplane.
   */
  backplane?: Backplane;
}

/** A sink for errors that no callback can take. */
export interface Logger {
  /** Reports an error. */
  error(msg: string, err?: unknown): void;
}
