import type { Backplane } from "./backplane.ts";
import type { Logger } from "./types.ts";
import { describe } from "./validate.ts";

/**
 * A runtime's own publish/subscribe, per socket (Bun's `ServerWebSocket`
 * `subscribe`/`unsubscribe`/`publish`).
 */
export interface NativeTopics {
  /** Subscribes the socket to `topic`. */
  subscribe(topic: string): void;
  /** Unsubscribes the socket from `topic`. */
  unsubscribe(topic: string): void;
  /** Sends to every subscriber of `topic` but this socket; -1 when any subscriber is under backpressure. */
  publish(topic: string, data: string | Uint8Array): number;
}

/** A runtime server's publish to every subscriber (Bun's `server.publish`). */
export interface NativePublisher {
  /** Sends to every subscriber of `topic`; -1 when any subscriber is under backpressure. */
  publish(topic: string, data: string | Uint8Array): number;
}

/** A session as the topic table sees it. */
export interface TopicSubscriber {
  /** The runtime's own topics for this socket, or null when the core loops. */
  readonly nativeTopics: NativeTopics | null;
  /**
   * How to encode text for its socket when the socket takes pre-encoded text
   * (`SocketLike.sendText`); absent or null when it does not.
   */
  readonly textEncoder?: ((text: string) => Uint8Array) | null;
  /**
   * Loop path: sends one published frame, or closes the subscriber (1008) when it cannot keep up.
   * `utf8` is `data` already encoded when `data` is text and the table encoded it once for all.
   */
  deliverPublished(data: string | Uint8Array, utf8: Uint8Array | null): void;
  /** Native path: closes the subscriber (1008) when its buffer is over its backpressure limit. */
  checkBackpressure(): void;
}

/** One topic's subscribers, split by how they are reached. */
class Topic {
  readonly looped = new Set<TopicSubscriber>();
  /** Looped members whose socket takes pre-encoded text. */
  encoders = 0;
  /** The encoder of the first such member (on Node, one that makes a `Buffer`, which `ws` sends as is). */
  encode: ((text: string) => Uint8Array) | null = null;
  readonly native = new Set<TopicSubscriber>();
  sweepScheduled = false;
  readonly sweep = (): void => {
    this.sweepScheduled = false;
    for (const member of this.native) member.checkBackpressure();
  };
  get size(): number {
    return this.looped.size + this.native.size;
  }
}

/**
 * Topic name → subscribers. Subscribers on a runtime with native topics (Bun)
 * are reached by the runtime's publish; the others by one loop in the core.
 * With a backplane, a publish also goes to other processes, and the backplane
 * listens to a topic while it has subscribers here.
 */
export class TopicTable {
  readonly #topics = new Map<string, Topic>();
  readonly #backplane: Backplane | null;
  readonly #logger: Logger;
  /** Runtime servers whose publish reaches their native subscribers (an array: one or two, read per publish). */
  readonly nativePublishers: NativePublisher[] = [];

  constructor(backplane: Backplane | null = null, logger: Logger = console) {
    this.#backplane = backplane;
    this.#logger = logger;
  }

  /** Adds a runtime server whose publish reaches its native subscribers (once). */
  addNativePublisher(publisher: NativePublisher): void {
    if (!this.nativePublishers.includes(publisher)) this.nativePublishers.push(publisher);
  }

  /** Removes a runtime server added with {@linkcode addNativePublisher}. */
  deleteNativePublisher(publisher: NativePublisher): void {
    const at = this.nativePublishers.indexOf(publisher);
    if (at >= 0) this.nativePublishers.splice(at, 1);
  }

  /** Adds `subscriber` to `topic`. */
  subscribe(topic: string, subscriber: TopicSubscriber): void {
    let entry = this.#topics.get(topic);
    if (entry === undefined) {
      entry = new Topic();
      this.#topics.set(topic, entry);
      if (this.#backplane !== null) this.#tellBackplane(true, topic);
    }
    const native = subscriber.nativeTopics;
    if (native === null) {
      if (!entry.looped.has(subscriber)) {
        entry.looped.add(subscriber);
        const encoder = subscriber.textEncoder ?? null;
        if (encoder !== null) {
          entry.encoders++;
          entry.encode ??= encoder;
        }
      }
    } else {
      entry.native.add(subscriber);
      native.subscribe(topic);
    }
  }

  /** Removes `subscriber` from `topic`; forgets the topic once empty. */
  unsubscribe(topic: string, subscriber: TopicSubscriber): void {
    const entry = this.#topics.get(topic);
    if (entry === undefined) return;
    const native = subscriber.nativeTopics;
    if (native === null) {
      if (entry.looped.delete(subscriber) && (subscriber.textEncoder ?? null) !== null) entry.encoders--;
    } else if (entry.native.delete(subscriber)) {
      try {
        native.unsubscribe(topic);
      } catch {
        // The socket is already closed; the runtime dropped its subscriptions itself.
      }
    }
    if (entry.size === 0) {
      this.#topics.delete(topic);
      if (this.#backplane !== null) this.#tellBackplane(false, topic);
    }
  }

  /** Sends `payload` to every subscriber of `topic` except `except`, here and through the backplane. */
  publish(topic: string, payload: unknown, except: TopicSubscriber | null): void {
    checkTopic(topic);
    const data = toFrameData(payload);
    this.deliver(topic, data, except);
    const backplane = this.#backplane;
    if (backplane === null) return;
    try {
      backplane.publish(topic, data);
    } catch (error) {
      this.#logger.error(`backplane.publish threw for topic ${JSON.stringify(topic)}`, error);
    }
  }

  /** Sends `data` to this process's subscribers of `topic` except `except` (never to the backplane). */
  deliver(topic: string, data: string | Uint8Array, except: TopicSubscriber | null): void {
    const entry = this.#topics.get(topic);
    if (entry === undefined) return;
    // Text for several subscribers whose runtime takes encoded text is encoded once, not per subscriber.
    const encode = entry.encode;
    const utf8 = typeof data === "string" && entry.encoders > 1 && encode !== null ? encode(data) : null;
    if (entry.looped.size !== 0) {
      for (const member of entry.looped) {
        if (member !== except) member.deliverPublished(data, utf8);
      }
    }
    if (entry.native.size === 0) return;
    let status = 1;
    const senderTopics = except === null ? null : except.nativeTopics;
    if (senderTopics !== null) {
      status = senderTopics.publish(topic, data);
    } else {
      const publishers = this.nativePublishers;
      for (let i = 0; i < publishers.length; i++) {
        if (publishers[i]!.publish(topic, data) === -1) status = -1;
      }
    }
    if (status === -1 && !entry.sweepScheduled) {
      // Someone is under backpressure: once this burst of publishes is over, close whoever is over its limit.
      entry.sweepScheduled = true;
      queueMicrotask(entry.sweep);
    }
  }

  /** How many topics have subscribers. */
  get size(): number {
    return this.#topics.size;
  }

  #tellBackplane(subscribe: boolean, topic: string): void {
    try {
      if (subscribe) this.#backplane!.subscribe(topic);
      else this.#backplane!.unsubscribe(topic);
    } catch (error) {
      this.#logger.error(`backplane.${subscribe ? "subscribe" : "unsubscribe"} threw for topic ${JSON.stringify(topic)}`, error);
    }
  }
}

/**
 * @throws {TypeError} unless `topic` is a non-empty string
 */
export function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== "string" || topic.length === 0) {
    throw new TypeError(`topic must be a non-empty string, got ${typeof topic === "string" ? '""' : describe(topic)}`);
  }
}

/**
 * Text stays a string; binary data becomes a `Uint8Array` view (no copy).
 * @throws {TypeError} for anything else
 */
export function toFrameData(payload: unknown): string | Uint8Array {
  if (typeof payload === "string") return payload;
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  if (ArrayBuffer.isView(payload)) return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  throw new TypeError(`payload must be a string, ArrayBuffer or ArrayBufferView, got ${describe(payload)}`);
}
