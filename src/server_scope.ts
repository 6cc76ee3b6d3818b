import type { CloseReason } from "./close_reason.ts";
import { CLOSE_SHUTDOWN } from "./session.ts";
import type { EndpointRegistration } from "./container.ts";
import type { PendingOpen, SessionScope, WsSession } from "./session.ts";
import { checkNonNegativeInteger, describe } from "./validate.ts";

/** Options of `PlinthServer.shutdown`. */
export interface ShutdownOptions {
  /** How long sessions get to finish their closing handshake before they are terminated; default 5000 ms. */
  timeoutMs?: number;
}

/** How long shutdown waits for closing handshakes by default. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;

/**
 * The sessions of one served server, so that `shutdown()` can close them all:
 * every one with 1001, wait for their `onClose`, terminate those that do not
 * finish the closing handshake in time.
 *
 * An open session is already in its endpoint's `openSessions`; the scope keeps
 * only the endpoints it has seen and the sessions that started closing but have
 * not finished, so an idle connection costs it no entry of its own.
 */
export class ServerScope implements SessionScope {
  /** Endpoints that had sessions in this scope: their open ones are in `openSessions`. */
  readonly #registrations = new Set<EndpointRegistration>();
  /** Sessions of this scope that left the open state and have not finished. */
  readonly #closing = new Set<WsSession>();
  /** Connections accepted and not open yet: a shutdown closes them once open (their onClose reports 1001 too). */
  readonly #opening = new Set<PendingOpen>();
  #size = 0;
  #accepting = true;

  /** False once shutdown began: handshakes then get 503. */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** Sessions opened in this scope that have not finished closing. */
  get size(): number {
    return this.#size;
  }

  add(session: WsSession): void {
    this.#size++;
    this.#registrations.add(session.registration);
  }

  leftOpen(session: WsSession): void {
    this.#closing.add(session);
  }

  delete(session: WsSession): void {
    this.#size--;
    this.#closing.delete(session);
  }

  opening(pending: PendingOpen): void {
    this.#opening.add(pending);
    if (!this.#accepting) pending.closeOnOpen(CLOSE_SHUTDOWN);
  }

  notOpening(pending: PendingOpen): void {
    this.#opening.delete(pending);
  }

  /** Every session of this scope that has not finished: the open ones, then the closing ones. */
  #unfinished(): WsSession[] {
    const sessions: WsSession[] = [];
    for (const registration of this.#registrations) {
      for (const session of registration.openSessions) {
        if ((session as WsSession).scope === this) sessions.push(session as WsSession);
      }
    }
    for (const session of this.#closing) sessions.push(session);
    return sessions;
  }

  /** Closes every session with 1001 and settles once each one's `onClose` has run. */
  async closeAll(options: ShutdownOptions = {}): Promise<void> {
    if (options === null || typeof options !== "object") {
      throw new TypeError(`shutdown: options must be an object, got ${describe(options)}`);
    }
    const timeoutMs = options.timeoutMs === undefined
      ? DEFAULT_SHUTDOWN_TIMEOUT_MS
      : checkNonNegativeInteger(options.timeoutMs, "options.timeoutMs");
    this.#accepting = false;
    const sessions: PendingOpen[] = this.#unfinished();
    for (const session of sessions as WsSession[]) session.closeWith(CLOSE_SHUTDOWN);
    // Accepted but not open yet (Deno opens a socket after the handler returned): onOpen still
    // runs once it opens, then the session closes with 1001 like the others.
    for (const pending of this.#opening) {
      pending.closeOnOpen(CLOSE_SHUTDOWN);
      sessions.push(pending);
    }
    const all: Promise<unknown[]> = Promise.all(sessions.map((session) => session.closed));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([all, timedOut]);
    clearTimeout(timer);
    if (outcome === "timeout") {
      for (const session of sessions) session.terminate();
      await all;
    }
  }
}
