/**
 * Idle timeouts of many sessions on one timer per distinct timeout, instead of one runtime timer
 * per session: the sessions watched with one timeout sit in a list in the order of their last
 * activity (activity moves a session to the end), so the first one is always the next to expire,
 * and the list's one timer is set for it. Activity costs a few pointer writes and a clock read —
 * no timer is cleared or made, nothing is allocated — and an idle session costs one small link
 * object rather than a runtime timer (measured in `docs/performance.md`). Deadlines are exact, as
 * with a timer per session; the timer of a list whose first session moved on fires early once and
 * is set again.
 * @module
 */

/** What the list asks of a session whose idle timeout passed. */
export interface IdleWatched {
  /** No activity for the list's timeout: close (the session is no longer in the list). */
  idleExpired(): void;
}

/** A session's place in its list: made once when the session is watched. */
export class IdleLink {
  prev: IdleLink | null = null;
  next: IdleLink | null = null;
  /** When the session last sent or received (`Date.now()`). */
  last = 0;
  /** Whether it is in the list. */
  linked = false;

  constructor(readonly owner: IdleWatched, readonly queue: IdleQueue) {}

  /** Activity: the session's clock starts over (it moves to the end of the list). */
  touch(): void {
    this.queue.touch(this);
  }

  /** Stops watching the session. */
  remove(): void {
    this.queue.remove(this);
  }
}

/** The sessions watched with one timeout, oldest activity first, and its one timer. */
export class IdleQueue {
  #head: IdleLink | null = null;
  #tail: IdleLink | null = null;
  #size = 0;
  #timer: ReturnType<typeof setTimeout> | undefined = undefined;

  constructor(readonly timeoutMs: number) {}

  /** Watches `owner` from now; the link is its handle. */
  add(owner: IdleWatched): IdleLink {
    const link = new IdleLink(owner, this);
    this.touch(link);
    return link;
  }

  /** Puts `link` at the end of the list with the clock at now. */
  touch(link: IdleLink): void {
    if (link.linked) {
      if (link === this.#tail) {
        link.last = Date.now();
        return;
      }
      this.#unlink(link);
    }
    const now = Date.now();
    link.last = now;
    link.prev = this.#tail;
    link.next = null;
    if (this.#tail === null) this.#head = link;
    else this.#tail.next = link;
    this.#tail = link;
    link.linked = true;
    this.#size++;
    if (this.#timer === undefined) this.#arm(now + this.timeoutMs, now);
  }

  /** Takes `link` out of the list; the list goes once empty. */
  remove(link: IdleLink): void {
    if (!link.linked) return;
    this.#unlink(link);
    if (this.#size !== 0) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (queues.get(this.timeoutMs) === this) queues.delete(this.timeoutMs);
  }

  /** How many sessions it watches. */
  get size(): number {
    return this.#size;
  }

  #unlink(link: IdleLink): void {
    if (link.prev === null) this.#head = link.next;
    else link.prev.next = link.next;
    if (link.next === null) this.#tail = link.prev;
    else link.next.prev = link.prev;
    link.prev = null;
    link.next = null;
    link.linked = false;
    this.#size--;
  }

  #arm(due: number, now: number): void {
    this.#timer = setTimeout(IdleQueue.#fire, Math.max(0, due - now), this);
  }

  static #fire(queue: IdleQueue): void {
    queue.#timer = undefined;
    const now = Date.now();
    for (let link = queue.#head; link !== null; link = queue.#head) {
      const due = link.last + queue.timeoutMs;
      if (due > now) {
        queue.#arm(due, now);
        return;
      }
      queue.#unlink(link);
      link.owner.idleExpired();
    }
    // Everyone expired: the list goes until a session is watched with this timeout again.
    if (queue.#size === 0 && queues.get(queue.timeoutMs) === queue) queues.delete(queue.timeoutMs);
  }
}

/** One list per timeout in use. */
const queues = new Map<number, IdleQueue>();

/**
 * The list of sessions watched with `timeoutMs` (made on first use, dropped once empty).
 *
 * @example
 * ```ts
 * const link = idleQueue(60_000).add({ idleExpired: () => console.log("idle for a minute") });
 * link.touch(); // on every message in or out
 * link.remove(); // on close
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
