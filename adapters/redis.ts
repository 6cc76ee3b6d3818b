/**
 * Topics across processes on Redis pub/sub, through the `redis` client
 * (node-redis), which runs unchanged on Node, Deno and Bun: give the
 * backplane to `createContainer`, and `container.publish` / `session.publish`
 * reach the subscribers of every process attached to the same Redis.
 *
 * The promise: at most once; one publisher's messages to one topic arrive in
 * publish order; local subscribers are served at once whatever Redis does;
 * while Redis is unreachable, remote delivery is dropped and counted
 * (`stats.dropped`), never queued, and the backplane reconnects and
 * resubscribes by itself. One Redis channel per topic, `prefix + topic`,
 * subscribed while the process has local subscribers of it.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { redisBackplane } from "@plinth/websocket/redis";
 *
 * const backplane = redisBackplane({ url: "redis://127.0.0.1:6379", prefix: "chat:" });
 * const container = createContainer({ backplane });
 * addEndpoint(container, "/room", {
 *   onOpen: (session) => {
 *     session.subscribe("room");
 *     return session;
 *   },
 *   onText: (session, text) => session.publish("room", text),
 * });
 * await backplane.ready; // rejects with a clear message when Redis cannot be reached
 * // … serve the container with any adapter; on the way out:
 * await backplane.close();
 * ```
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createClient } from "redis";
import type { Backplane, BackplaneReceiver } from "../src/backplane.ts";
import type { Logger } from "../src/types.ts";
import { checkPositiveInteger, describe } from "../src/validate.ts";

export type { Backplane, BackplaneReceiver };

/**
 * Options of {@linkcode redisBackplane}.
 *
 * @example
 * ```ts
 * import type { RedisBackplaneOptions } from "@plinth/websocket/redis";
 * const options: RedisBackplaneOptions = { url: "redis://127.0.0.1:6379", prefix: "app:" };
 * ```
 */
export interface RedisBackplaneOptions {
  /** `redis://[user:password@]host[:port][/db]` or `rediss://…` (TLS). */
  url: string;
  /** Prepended to a topic to name its Redis channel; default `"plinth:"`. */
  prefix?: string;
  /**
   * Bytes of publishes handed to Redis and not yet acknowledged; a publish
   * that would go over is dropped (and counted) instead of growing memory
   * when Redis is slower than the publishers. Default 16 MiB.
   */
  maxPendingBytes?: number;
}

/**
 * What a backplane has done since it was made.
 *
 * @example
 * ```ts
 * import { redisBackplane } from "@plinth/websocket/redis";
 * import type { RedisBackplaneStats } from "@plinth/websocket/redis";
 * const backplane = redisBackplane({ url: "redis://127.0.0.1:6379" });
 * const { published, dropped }: RedisBackplaneStats = backplane.stats;
 * console.log(`${dropped} of ${published + dropped} publishes did not reach Redis`);
 * ```
 */
export interface RedisBackplaneStats {
  /** Publishes Redis acknowledged. */
  readonly published: number;
  /** Messages from other processes handed to this process's subscribers. */
  readonly received: number;
  /**
   * Publishes that did not reach Redis: made while it was unreachable, lost
   * with a connection, over `maxPendingBytes`, or after `close()`.
   */
  readonly dropped: number;
  /** Messages on a subscribed channel that were not plinth frames (published by something else); ignored. */
  readonly malformed: number;
}

/** The default `prefix`. */
export const DEFAULT_PREFIX = "plinth:";
/** The default `maxPendingBytes`: 16 MiB. */
export const DEFAULT_MAX_PENDING_BYTES = 16 * 1024 * 1024;

/*
 * The frame on a channel: byte 0 is the kind (1 = text, UTF-8 payload;
 * 2 = binary), bytes 1–8 the publishing backplane's random origin id (how a
 * process recognises its own echoes; eight zero bytes are left to publishers
 * outside plinth), then the payload, as is.
 */
const TEXT = 1;
const BINARY = 2;
const HEADER = 9;

// Per-channel subscription state in Redis.
const OFF = 0;
const SUBSCRIBING = 1;
const ON = 2;
const UNSUBSCRIBING = 3;

/** One channel: whether local subscribers want it, and where Redis is with it. */
interface Channel {
  wanted: boolean;
  redis: typeof OFF | typeof SUBSCRIBING | typeof ON | typeof UNSUBSCRIBING;
}

type Client = ReturnType<typeof createClient>;

/** Retries forever: 50 ms doubling to 2 s, plus up to 200 ms of jitter so processes do not reconnect in step. */
const reconnectDelay = (retries: number): number => Math.min(50 * 2 ** retries, 2000) + Math.floor(Math.random() * 200);

/**
 * The Redis backplane: made by {@linkcode redisBackplane}, given to
 * `createContainer({ backplane })`.
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * import { RedisBackplane, redisBackplane } from "@plinth/websocket/redis";
 * const backplane: RedisBackplane = redisBackplane({ url: "redis://127.0.0.1:6379" });
 * createContainer({ backplane });
 * ```
 */
export class RedisBackplane implements Backplane {
  /**
   * Settles once both connections (publishing, subscribing) are up; rejects
   * with a message naming the URL when the first attempt fails. The
   * backplane keeps retrying after that either way (and stops on `close()`);
   * not awaiting it is safe.
   */
  readonly ready: Promise<void>;
  readonly #url: string;
  readonly #prefix: string;
  readonly #maxPendingBytes: number;
  readonly #publisher: Client;
  readonly #subscriber: Client;
  /** This backplane's origin id, as bytes and as two words for the echo check. */
  readonly #origin: Buffer;
  readonly #origin0: number;
  readonly #origin1: number;
  readonly #channels = new Map<string, Channel>();
  #receiver: BackplaneReceiver | null = null;
  #logger: Logger = console;
  #published = 0;
  #received = 0;
  #dropped = 0;
  #malformed = 0;
  #pendingBytes = 0;
  /** Sizes of publishes awaiting Redis's reply, oldest first (replies come in order). */
  #pendingSizes: number[] = [];
  #pendingHead = 0;
  #settledReady = false;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  /** Whether an outage has been reported and not yet ended. */
  #down = false;
  #closed = false;
  #closing: Promise<void> | null = null;

  /** Use {@linkcode redisBackplane}. */
  constructor(options: RedisBackplaneOptions) {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`redisBackplane: options must be an object, got ${describe(options)}`);
    }
    this.#url = checkUrl(options.url);
    const prefix = options.prefix ?? DEFAULT_PREFIX;
    if (typeof prefix !== "string") {
      throw new TypeError(`redisBackplane: options.prefix must be a string, got ${describe(prefix)}`);
    }
    this.#prefix = prefix;
    this.#maxPendingBytes = options.maxPendingBytes === undefined
      ? DEFAULT_MAX_PENDING_BYTES
      : checkPositiveInteger(options.maxPendingBytes, "redisBackplane: options.maxPendingBytes");

    const origin = Buffer.alloc(8);
    do crypto.getRandomValues(origin); while (origin.readBigUInt64LE(0) === 0n);
    this.#origin = origin;
    this.#origin0 = origin.readUInt32LE(0);
    this.#origin1 = origin.readUInt32LE(4);

    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    // A server that never awaits `ready` must not die of an unhandled rejection.
    this.ready.catch(() => {});

    const clientOptions = {
      url: options.url,
      socket: { reconnectStrategy: reconnectDelay },
    };
    // Publishes are never queued while the connection is down: they are dropped and counted.
    this.#publisher = createClient({ ...clientOptions, disableOfflineQueue: true });
    this.#subscriber = createClient(clientOptions);
    for (const client of [this.#publisher, this.#subscriber]) {
      client.on("error", this.#onError);
      client.on("ready", this.#onReady);
      client.connect().catch(() => {
        // Reported through the "error" event; the client retries by itself until close().
      });
    }
  }

  /** What this backplane has done so far (a snapshot). */
  get stats(): RedisBackplaneStats {
    return Object.freeze({
      published: this.#published,
      received: this.#received,
      dropped: this.#dropped,
      malformed: this.#malformed,
    });
  }

  /** True while both connections to Redis are up. */
  get connected(): boolean {
    return !this.#closed && this.#publisher.isReady && this.#subscriber.isReady;
  }

  /** How many Redis channels this backplane is subscribed to, or on its way to or from. */
  get channels(): number {
    return this.#channels.size;
  }

  /** The channel prefix. */
  get prefix(): string {
    return this.#prefix;
  }

  /**
   * Called once by `createContainer`.
   * @throws {Error} when the backplane is already attached to a container or closed
   */
  attach(receiver: BackplaneReceiver): void {
    if (this.#receiver !== null) {
      throw new Error("redisBackplane: this backplane is already attached to a container (one container per backplane)");
    }
    if (this.#closed) throw new Error("redisBackplane: this backplane is closed");
    this.#receiver = receiver;
    this.#logger = receiver.logger;
  }

  /** Sends a message to the other processes' subscribers of `topic`; dropped and counted when Redis is unreachable. */
  publish(topic: string, data: string | Uint8Array): void {
    const publisher = this.#publisher;
    if (this.#closed || !publisher.isReady) {
      this.#dropped++;
      return;
    }
    let frame: Buffer;
    if (typeof data === "string") {
      frame = Buffer.allocUnsafe(HEADER + Buffer.byteLength(data));
      frame[0] = TEXT;
      frame.write(data, HEADER);
    } else {
      frame = Buffer.allocUnsafe(HEADER + data.byteLength);
      frame[0] = BINARY;
      frame.set(data, HEADER);
    }
    const size = frame.length;
    if (this.#pendingBytes + size > this.#maxPendingBytes) {
      this.#dropped++;
      return;
    }
    this.#origin.copy(frame, 1);
    this.#pendingBytes += size;
    this.#pendingSizes.push(size);
    publisher.publish(this.#prefix + topic, frame).then(this.#onPublished, this.#onPublishFailed);
  }

  /** Listens to `topic`'s channel (the first local subscriber appeared). */
  subscribe(topic: string): void {
    const name = this.#prefix + topic;
    let channel = this.#channels.get(name);
    if (channel === undefined) {
      channel = { wanted: true, redis: OFF };
      this.#channels.set(name, channel);
    } else {
      channel.wanted = true;
    }
    this.#reconcile(name, channel);
  }

  /** Stops listening to `topic`'s channel (its last local subscriber left). */
  unsubscribe(topic: string): void {
    const name = this.#prefix + topic;
    const channel = this.#channels.get(name);
    if (channel === undefined) return;
    channel.wanted = false;
    this.#reconcile(name, channel);
  }

  /**
   * Closes both connections: publishes Redis has not acknowledged get up to
   * a second to be; then everything stops. Later publishes are dropped.
   */
  close(): Promise<void> {
    if (this.#closing !== null) return this.#closing;
    this.#closed = true;
    if (!this.#settledReady) {
      this.#settledReady = true;
      this.#rejectReady(new Error("redisBackplane: closed before it connected"));
    }
    this.#closing = (async () => {
      try {
        this.#subscriber.destroy();
      } catch {
        // never connected, or already closed
      }
      const publisher = this.#publisher;
      if (publisher.isReady) {
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          publisher.close().catch(() => {}),
          new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000))),
        ]);
        clearTimeout(timer);
      }
      try {
        publisher.destroy();
      } catch {
        // closed already
      }
      this.#channels.clear();
    })();
    return this.#closing;
  }

  // ---- internals --------------------------------------------------------------------------

  /** Arriving messages, for every channel (one function, no closure per channel). */
  readonly #onMessage = (message: Buffer, channel: Buffer): void => {
    const kind = message[0];
    if (message.length < HEADER || (kind !== TEXT && kind !== BINARY)) {
      this.#malformed++;
      return;
    }
    // Our own publish, back from Redis.
    if (message.readUInt32LE(1) === this.#origin0 && message.readUInt32LE(5) === this.#origin1) return;
    const receiver = this.#receiver;
    if (receiver === null || this.#closed) return;
    const topic = channel.toString("utf8").slice(this.#prefix.length);
    const data = kind === TEXT
      ? message.toString("utf8", HEADER)
      : new Uint8Array(message.buffer, message.byteOffset + HEADER, message.length - HEADER);
    this.#received++;
    try {
      receiver.deliver(topic, data);
    } catch (error) {
      this.#logger.error(`redisBackplane: delivering a message of topic ${JSON.stringify(topic)} failed`, error);
    }
  };

  readonly #onPublished = (): void => {
    this.#published++;
    this.#settlePending();
  };

  readonly #onPublishFailed = (): void => {
    this.#dropped++;
    this.#settlePending();
  };

  #settlePending(): void {
    const sizes = this.#pendingSizes;
    this.#pendingBytes -= sizes[this.#pendingHead++] ?? 0;
    if (this.#pendingHead === sizes.length) {
      sizes.length = 0;
      this.#pendingHead = 0;
    } else if (this.#pendingHead >= 1024 && this.#pendingHead * 2 >= sizes.length) {
      this.#pendingSizes = sizes.slice(this.#pendingHead);
      this.#pendingHead = 0;
    }
  }

  /** Moves one channel toward what its local subscribers want, one Redis command at a time. */
  #reconcile(name: string, channel: Channel): void {
    if (this.#closed) return;
    const state = channel.redis;
    if (!channel.wanted && state === OFF) {
      this.#channels.delete(name);
      return;
    }
    // While the subscribing connection is down, 'ready' reconciles every channel once it is back.
    if (!this.#subscriber.isReady) return;
    if (channel.wanted && state === OFF) {
      channel.redis = SUBSCRIBING;
      this.#subscriber.subscribe(name, this.#onMessage, true).then(
        () => this.#settled(name, ON),
        // Lost with the connection: node-redis did not keep the listener, so it will not resubscribe.
        () => this.#settled(name, OFF),
      );
    } else if (!channel.wanted && state === ON) {
      channel.redis = UNSUBSCRIBING;
      this.#subscriber.unsubscribe(name, this.#onMessage, true).then(
        () => this.#settled(name, OFF),
        // Lost with the connection: node-redis kept the listener and resubscribes it on reconnect.
        () => this.#settled(name, ON),
      );
    }
  }

  #settled(name: string, state: typeof OFF | typeof ON): void {
    const channel = this.#channels.get(name);
    if (channel === undefined) return;
    channel.redis = state;
    this.#reconcile(name, channel);
  }

  readonly #onReady = (): void => {
    if (!this.#publisher.isReady || !this.#subscriber.isReady) return;
    this.#down = false;
    if (!this.#settledReady) {
      this.#settledReady = true;
      this.#resolveReady();
    }
    for (const [name, channel] of this.#channels) this.#reconcile(name, channel);
  };

  readonly #onError = (error: unknown): void => {
    if (this.#closed) return;
    const reason = describeError(error);
    if (!this.#settledReady) {
      this.#settledReady = true;
      this.#down = true;
      const message = `redisBackplane: cannot connect to ${this.#url}: ${reason}; retrying in the background`;
      this.#rejectReady(new Error(message, { cause: error }));
      this.#logger.error(message, error);
    } else if (!this.#down) {
      this.#down = true;
      this.#logger.error(
        `redisBackplane: lost the connection to ${this.#url}: ${reason}; messages to other processes are dropped until it is back (reconnecting)`,
        error,
      );
    }
  };
}

/**
 * Makes a Redis backplane and starts connecting. Give it to
 * `createContainer({ backplane })`; `await backplane.ready` to know Redis was
 * reached; `await backplane.close()` on the way out.
 *
 * @throws {TypeError} when `options.url` is not a `redis:` or `rediss:` URL, or an option has the wrong type
 * @throws {RangeError} when `options.maxPendingBytes` is not a positive integer
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * import { redisBackplane } from "@plinth/websocket/redis";
 * const backplane = redisBackplane({ url: "redis://127.0.0.1:6379", prefix: "plinth:" });
 * const container = createContainer({ backplane });
 * await backplane.ready;
 * container.publish("news", "reaches every process on this Redis");
 * ```
 */
export function redisBackplane(options: RedisBackplaneOptions): RedisBackplane {
  return new RedisBackplane(options);
}

/**
 * The URL as it may be shown in messages (no password).
 * @throws {TypeError} unless `url` is a `redis:` or `rediss:` URL
 */
function checkUrl(url: unknown): string {
  if (typeof url !== "string") {
    throw new TypeError(`redisBackplane: options.url must be a string, got ${describe(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`redisBackplane: options.url must be a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new TypeError(
      `redisBackplane: options.url must be a redis:// or rediss:// URL, got protocol ${JSON.stringify(parsed.protocol)}`,
    );
  }
  if (parsed.password !== "") parsed.password = "***";
  return parsed.href;
}

/** An error's message, its code, or its parts' (an `AggregateError` from a dual-stack connect has no message). */
function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.message !== "") return error.message;
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string") return code;
    if (error instanceof AggregateError && error.errors.length > 0) {
      return error.errors.map(describeError).join("; ");
    }
    return error.name;
  }
  return String(error);
}
