/**
 * Idle timeouts of many sessions on one timer per distinct timeout, instead of one runtime timer
 * per session: the sessions watched with one timeout sit in a queue in the order of their last
 * activity (a `Map`, whose order is insertion order: activity moves a session to the end), so the
 * first one is always the next to expire, and the queue's one timer is set for it. Activity costs
 * a delete and a set on the map — no timer is cleared or made — and an idle session costs a map
 * entry rather than a timer (measured in `docs/performance.md`: a Bun timer is ~400 bytes).
 * Deadlines are exact, as with a timer per session; the timer of a queue whose first session
 * moved on fires early once and is set again.
 * @module
 */

/** What the queue asks of a session whose idle timeout passed. */
export interface IdleWatched {
  /** No activity for the queue's timeout: close (the session is no longer in the queue). */
  idleExpired(): void;
}

/** The sessions watched with one timeout, oldest activity first, and its one timer. */
export class IdleQueue {
  /** Session → its last activity (`Date.now()`), in that order. */
  readonly #entries = new Map<IdleWatched, number>();
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(readonly timeoutMs: number) {}

  /** Watches `session` from now, or starts its clock over (activity). */
  touch(session: IdleWatched): void {
    const entries = this.#entries;
    entries.delete(session);
    const now = Date.now();
    entries.set(session, now);
    if (this.#timer === undefined) this.#arm(now + this.timeoutMs, now);
  }

  /** Stops watching `session`. */
  delete(session: IdleWatched): void {
    if (!this.#entries.delete(session) || this.#entries.size !== 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (queues.get(this.timeoutMs) === this) queues.delete(this.timeoutMs);
  }

  /** How many sessions it watches. */
  get size(): number {
    return this.#entries.size;
  }

  #arm(due: number, now: number): void {
    this.#timer = setTimeout(IdleQueue.#fire, Math.max(0, due - now), this);
  }

  static #fire(queue: IdleQueue): void {
    queue.#timer = undefined;
    const now = Date.now();
    const timeoutMs = queue.timeoutMs;
    for (const [session, last] of queue.#entries) {
      const due = last + timeoutMs;
      if (due > now) {
        queue.#arm(due, now);
        return;
      }
      queue.#entries.delete(session);
      session.idleExpired();
    }
    // Everyone expired: the queue goes until a session is watched with this timeout again.
    if (queue.#entries.size === 0 && queues.get(timeoutMs) === queue) queues.delete(timeoutMs);
  }
}

/** One queue per timeout in use. */
const queues = new Map<number, IdleQueue>();

/**
 * The queue of sessions watched with `timeoutMs` (made on first use, dropped once empty).
 *
 * @example
 * ```ts
 * const queue = idleQueue(60_000);
 * const session = { idleExpired: () => console.log("idle for a minute") };
 * queue.touch(session); // on open and on every message
 * queue.delete(session); // on close
 * ```
 */
export function idleQueue(timeoutMs: number): IdleQueue {
  let queue = queues.get(timeoutMs);
  if (queue === undefined) {
    queue = new IdleQueue(timeoutMs);
    queues.set(timeoutMs, queue);
  }
  return queue;
}
