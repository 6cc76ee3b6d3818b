import type { CloseReason } from "./close_reason.ts";
import { CLOSE_SHUTDOWN } from "./session.ts";
import type { SessionScope, WsSession } from "./session.ts";
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
 */
export class ServerScope implements SessionScope {
  readonly sessions: Set<WsSession> = new Set();
  #accepting = true;

  /** False once shutdown began: handshakes then get 503. */
  get accepting(): boolean {
    return this.#accepting;
  }

  add(session: WsSession): void {
    this.sessions.add(session);
  }

  delete(session: WsSession): void {
    this.sessions.delete(session);
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
    const sessions = [...this.sessions];
    for (const session of sessions) session.closeWith(CLOSE_SHUTDOWN);
    const all: Promise<CloseReason[]> = Promise.all(sessions.map((session) => session.closed));
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
