/**
 * Endpoints whose callbacks log what they observe, in order, for the ordering rules of the
 * contract: no callback runs inside another (`onClose` never inside `session.close()` or
 * `onOpen`), results of sends handed over before `close()` settle before `onClose`, the first
 * `close()` wins. Shared by the contract suite (which checks the expected order) and the
 * cross-runtime transcripts (which check that every adapter logs the same).
 * @module
 */
import { addEndpoint, CloseReason } from "../../mod.ts";
import type { EndpointMap, ServerContainer, Session } from "../../mod.ts";

/** Events logged per connection, keyed by the `?log=` query parameter of the upgrade request. */
export class EventLog {
  readonly #logs = new Map<string, string[]>();
  #waiters: (() => void)[] = [];

  /** Appends `line` to the log of `session`'s `?log=` key. */
  push(session: Session, line: string): void {
    const key = session.requestURI.searchParams.get("log") ?? "";
    let log = this.#logs.get(key);
    if (log === undefined) this.#logs.set(key, log = []);
    log.push(line);
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** The log of `key` so far. */
  get(key: string): readonly string[] {
    return this.#logs.get(key) ?? [];
  }

  /** Waits until the log of `key` has a line starting with `prefix` (then a little longer, for stray events). */
  async waitFor(key: string, prefix: string, timeoutMs = 5000): Promise<readonly string[]> {
    const deadline = Date.now() + timeoutMs;
    while (!this.get(key).some((line) => line.startsWith(prefix))) {
      if (Date.now() > deadline) throw new Error(`no ${JSON.stringify(prefix)} in log ${key}: ${JSON.stringify(this.get(key))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
    return this.get(key);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The orderings each endpoint logs, and what the contract expects of them. */
export const EXPECTED_ORDER: Record<string, readonly string[]> = {
  "/order/close-in-open": ["onOpen returns, isOpen false", "sent success", "onClose 4001 first"],
  "/order/close-in-open-after-await": ["onOpen awaited", "onOpen returns", "sent success", "onClose 4002 first"],
  "/order/close-in-text": ["onText a", "onText returns", "sent success", "onClose 4003 first"],
  "/order/close-twice": ["onText a", "close twice returns", "onClose 4004 first", "closed 4004 first"],
  "/order/close-in-close": ["onText a", "onClose 4005 first", "close in onClose returns", "closed 4005 first"],
};

/** Adds the ordering endpoints to `container`, logging into `log`. */
export function addOrderingEndpoints(container: ServerContainer, log: EventLog): void {
  const onClose = (session: Session, _s: Session, reason: CloseReason) =>
    void log.push(session, `onClose ${reason.code} ${reason.reasonPhrase}`);
  const sendLogged = (session: Session, text: string) =>
    void Promise.resolve(session.asyncRemote.sendText(text)).then((result) => log.push(session, `sent ${result}`));
  const base: EndpointMap<Session> = { onClose };

  addEndpoint(container, "/order/close-in-open", {
    ...base,
    onOpen: (session) => {
      sendLogged(session, "hello");
      session.close(new CloseReason(4001, "first"));
      log.push(session, `onOpen returns, isOpen ${session.isOpen}`);
      return session;
    },
  });

  addEndpoint(container, "/order/close-in-open-after-await", {
    ...base,
    onOpen: async (session) => {
      await sleep(10);
      log.push(session, "onOpen awaited");
      sendLogged(session, "hello");
      session.close(new CloseReason(4002, "first"));
      log.push(session, "onOpen returns");
      return session;
    },
  });

  addEndpoint(container, "/order/close-in-text", {
    ...base,
    onOpen: (session) => session,
    onText: (session, text) => {
      log.push(session, `onText ${text}`);
      sendLogged(session, "reply");
      session.close(new CloseReason(4003, "first"));
      log.push(session, "onText returns");
    },
  });

  addEndpoint(container, "/order/close-twice", {
    ...base,
    onOpen: (session) => {
      void session.closed.then((reason) => log.push(session, `closed ${reason.code} ${reason.reasonPhrase}`));
      return session;
    },
    onText: (session, text) => {
      log.push(session, `onText ${text}`);
      session.close(new CloseReason(4004, "first"));
      session.close(new CloseReason(4099, "second"));
      log.push(session, "close twice returns");
    },
  });

  addEndpoint(container, "/order/close-in-close", {
    onOpen: (session) => {
      void session.closed.then((reason) => log.push(session, `closed ${reason.code} ${reason.reasonPhrase}`));
      return session;
    },
    onText: (session, text) => {
      log.push(session, `onText ${text}`);
      session.close(new CloseReason(4005, "first"));
    },
    onClose: (session, _s, reason) => {
      log.push(session, `onClose ${reason.code} ${reason.reasonPhrase}`);
      session.close(new CloseReason(4098, "from onClose"));
      log.push(session, "close in onClose returns");
    },
  });
}
