import { describe } from "./validate.ts";

/** A session as the topic table sees it. */
export interface TopicSubscriber {
  /** Sends one published frame, or closes the subscriber when it cannot keep up. */
  deliverPublished(data: string | Uint8Array): void;
}

/**
 * Topic name → subscribers, for runtimes without a native publish: one loop
 * over the topic's sessions per message.
 */
export class TopicTable {
  readonly #topics = new Map<string, Set<TopicSubscriber>>();

  /** Adds `subscriber` to `topic`. */
  subscribe(topic: string, subscriber: TopicSubscriber): void {
    let members = this.#topics.get(topic);
    if (members === undefined) {
      members = new Set();
      this.#topics.set(topic, members);
    }
    members.add(subscriber);
  }

  /** Removes `subscriber` from `topic`; forgets the topic once empty. */
  unsubscribe(topic: string, subscriber: TopicSubscriber): void {
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    members.delete(subscriber);
    if (members.size === 0) this.#topics.delete(topic);
  }

  /** Sends `payload` to every subscriber of `topic` except `except`. */
  publish(topic: string, payload: unknown, except: TopicSubscriber | null): void {
    checkTopic(topic);
    const data = toFrameData(payload);
    const members = this.#topics.get(topic);
    if (members === undefined) return;
    for (const member of members) {
      if (member !== except) member.deliverPublished(data);
    }
  }

  /** How many topics have subscribers. */
  get size(): number {
    return this.#topics.size;
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
