/**
 * Books every session of an endpoint by id: `onOpen` and `onClose` calls,
 * close codes, callback errors, and send channel response targets, so a test
 * can prove that every session whose `onOpen` ran got exactly one `onClose`
 * and every message put with a response target got exactly one result.
 * @module
 */
import type { CloseReason, EndpointMap, Logger, SendResult, Session } from "../../mod.ts";

/** What one session went through. */
export interface SessionEntry {
  opens: number;
  closes: CloseReason[];
  /** Errors `onError` received. */
  errors: unknown[];
}

/** The ledger of one or more endpoints. */
export class SessionLedger {
  readonly sessions: Map<string, SessionEntry> = new Map();
  /** Messages `logger.error` received (give {@linkcode SessionLedger.logger} to the container). */
  readonly logged: string[] = [];
  /** Response targets handed out with {@linkcode SessionLedger.respond}, and the results they got. */
  targetsIssued = 0;
  targetsAnswered = 0;
  /** Targets answered more than once (must stay 0). */
  targetsAnsweredTwice = 0;
  readonly results: Record<string, number> = {};

  /** A container logger that records instead of printing. */
  readonly logger: Logger = { error: (msg: string) => void this.logged.push(msg) };

  #entry(id: string): SessionEntry {
    let entry = this.sessions.get(id);
    if (entry === undefined) {
      entry = { opens: 0, closes: [], errors: [] };
      this.sessions.set(id, entry);
    }
    return entry;
  }

  /** `endpoint` with its `onOpen`, `onClose` and `onError` booked here (the originals still run). */
  wrap<S>(endpoint: EndpointMap<S>): EndpointMap<S> {
    const { onOpen, onClose, onError } = endpoint;
    return {
      ...endpoint,
      onOpen: (session, config) => {
        this.#entry(session.id).opens++;
        return onOpen === undefined ? (undefined as S) : onOpen(session, config);
      },
      onClose: (object, session, reason) => {
        this.#entry(session.id).closes.push(reason);
        return onClose?.(object, session, reason);
      },
      onError: (object, session, error) => {
        this.#entry(session.id).errors.push(error);
        return onError?.(object, session, error);
      },
    };
  }

  /** A response target that books its result; answered more than once counts as a fault. */
  respond(): (result: SendResult) => void {
    this.targetsIssued++;
    let answered = false;
    return (result) => {
      if (answered) {
        this.targetsAnsweredTwice++;
        return;
      }
      answered = true;
      this.targetsAnswered++;
      const key = typeof result === "string" ? result : `error ${result.name}`;
      this.results[key] = (this.results[key] ?? 0) + 1;
    };
  }

  /** Sessions whose `onOpen` ran. */
  get opened(): number {
    let n = 0;
    for (const entry of this.sessions.values()) if (entry.opens > 0) n++;
    return n;
  }

  /** Sessions whose `onClose` ran. */
  get closed(): number {
    let n = 0;
    for (const entry of this.sessions.values()) if (entry.closes.length > 0) n++;
    return n;
  }

  /** Close codes seen, with how often. */
  closeCodes(): Record<string, number> {
    const codes: Record<string, number> = {};
    for (const entry of this.sessions.values()) {
      for (const reason of entry.closes) codes[reason.code] = (codes[reason.code] ?? 0) + 1;
    }
    return codes;
  }

  /**
   * Everything that breaks "exactly one `onClose` for every `onOpen`", "one
   * result per target", or that went to `onError`/the logger; empty when all is well.
   * Sessions still open count as faults only with `allClosed`.
   */
  faults(allClosed = true): string[] {
    const faults: string[] = [];
    for (const [id, entry] of this.sessions) {
      if (entry.opens !== 1) faults.push(`${id}: onOpen ran ${entry.opens} times`);
      if (entry.closes.length > 1) faults.push(`${id}: onClose ran ${entry.closes.length} times`);
      if (allClosed && entry.closes.length === 0) faults.push(`${id}: onClose never ran`);
      if (entry.errors.length > 0) faults.push(`${id}: onError got ${String(entry.errors[0])}`);
    }
    if (this.targetsAnsweredTwice > 0) faults.push(`${this.targetsAnsweredTwice} response targets answered twice`);
    if (allClosed && this.targetsAnswered !== this.targetsIssued) {
      faults.push(`${this.targetsIssued - this.targetsAnswered} of ${this.targetsIssued} response targets never answered`);
    }
    for (const msg of this.logged) faults.push(`logged: ${msg}`);
    return faults;
  }

  /** The one close of session `session` (throws unless there is exactly one). */
  closeOf(session: Session): CloseReason {
    const closes = this.sessions.get(session.id)?.closes ?? [];
    if (closes.length !== 1) throw new Error(`session ${session.id} closed ${closes.length} times`);
    return closes[0]!;
  }
}
