/**
 * The backplane: how topics reach subscribers in other processes. The core
 * defines the interface; an engine (Redis: `@plinth/websocket/redis`) implements it.
 * @module
 */
import type { Logger } from "./types.ts";
import { describe } from "./validate.ts";

/**
 * What a container hands its backplane once, at {@linkcode createContainer}:
 * where messages from other processes go, and where errors go.
 *
 * @example
 * ```ts
 * import type { BackplaneReceiver } from "@plinth/websocket";
 * // A backplane that got a message for "room" from another process:
 * function arrived(receiver: BackplaneReceiver, text: string): void {
 *   receiver.deliver("room", text);
 * }
 * ```
 */
export interface BackplaneReceiver {
  /**
   * Hands a message that arrived from another process to this process's
   * subscribers of `topic` (every one of them: the sender lives elsewhere).
   * It never goes back out through the backplane. A `Uint8Array` is sent as
   * a binary frame before `deliver` returns, so the caller may reuse it after.
   * @throws {TypeError} when `topic` is not a non-empty string or `data` is not a string or `Uint8Array`
   */
  deliver(topic: string, data: string | Uint8Array): void;
  /** The container's logger: where a backplane reports what goes wrong (lost connections, refused publishes). */
  readonly logger: Logger;
}

/**
 * Topics across processes, as the container sees them. Give one to
 * {@linkcode createContainer} (`{ backplane }`); then `container.publish` and
 * `session.publish` reach the subscribers of every process attached to the
 * same engine, while local subscribers are still served by the process
 * itself, at once.
 *
 * The container calls these methods; none of them may throw or block, and
 * none returns a result — failures are the backplane's to count and report
 * through `receiver.logger`. What an implementation must do:
 *
 * - `attach(receiver)` is called once, by `createContainer`. Keep the
 *   receiver; hand it every message that arrives from another process.
 *   Throw (an `Error`) when already attached to another container.
 * - `subscribe(topic)` is called when the first local subscriber of `topic`
 *   appears, `unsubscribe(topic)` when the last one leaves: a process listens
 *   to a topic only while it has local subscribers. The calls alternate per
 *   topic and can come thousands of times a second; reconcile, do not queue.
 * - `publish(topic, data)` is called after the local subscribers got the
 *   message. Send it to the other processes; `data` (text or a view of the
 *   publisher's bytes) must be copied or written before `publish` returns.
 *   The sender is excluded locally, so other processes deliver to all their
 *   subscribers, and the backplane must not hand this process its own
 *   messages back (its echoes).
 * - Messages of one publisher to one topic must arrive in publish order;
 *   delivery is at most once; keep text and binary apart and exact.
 * - `close()` stops everything (connections, timers) and resolves when done.
 *
 * @example
 * ```ts
 * import { createContainer } from "@plinth/websocket";
 * import type { Backplane, BackplaneReceiver } from "@plinth/websocket";
 *
 * // Every backplane in one process: enough to try a container's wiring in a test.
 * const everyone = new Set<InMemoryBackplane>();
 * class InMemoryBackplane implements Backplane {
 *   #receiver: BackplaneReceiver | null = null;
 *   readonly #topics = new Set<string>();
 *   attach(receiver: BackplaneReceiver): void {
 *     if (this.#receiver !== null) throw new Error("already attached");
 *     this.#receiver = receiver;
 *     everyone.add(this);
 *   }
 *   subscribe(topic: string): void {
 *     this.#topics.add(topic);
 *   }
 *   unsubscribe(topic: string): void {
 *     this.#topics.delete(topic);
 *   }
 *   publish(topic: string, data: string | Uint8Array): void {
 *     const copy = typeof data === "string" ? data : data.slice();
 *     for (const other of everyone) {
 *       if (other !== this && other.#topics.has(topic)) other.#receiver?.deliver(topic, copy);
 *     }
 *   }
 *   close(): Promise<void> {
 *     everyone.delete(this);
 *     return Promise.resolve();
 *   }
 * }
 * const container = createContainer({ backplane: new InMemoryBackplane() });
 * ```
 */
export interface Backplane {
  /** Called once by `createContainer`: where arriving messages go. */
  attach(receiver: BackplaneReceiver): void;
  /** Sends a message that local subscribers already got to the other processes. */
  publish(topic: string, data: string | Uint8Array): void;
  /** Starts listening to `topic` (its first local subscriber appeared). */
  subscribe(topic: string): void;
  /** Stops listening to `topic` (its last local subscriber left). */
  unsubscribe(topic: string): void;
  /** Stops the backplane; resolves once its connections are closed. */
  close(): Promise<void>;
}

const METHODS = ["attach", "publish", "subscribe", "unsubscribe", "close"] as const;

/**
 * Checks `createContainer`'s `backplane` option.
 * @throws {TypeError} naming the option and the missing method
 */
export function checkBackplane(value: unknown): Backplane {
  if (value === null || typeof value !== "object") {
    throw new TypeError(`createContainer: options.backplane must be a Backplane object, got ${describe(value)}`);
  }
  for (const name of METHODS) {
    if (typeof (value as Record<string, unknown>)[name] !== "function") {
      throw new TypeError(`createContainer: options.backplane must have a ${name}() method`);
    }
  }
  return value as Backplane;
}
