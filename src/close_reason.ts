import { utf8ByteLength } from "./utf8.ts";

/**
 * The close codes of RFC 6455 §7.4.1, by the names `jakarta.websocket.CloseReason.CloseCodes` gives them.
 *
 * @example
 * ```ts
 * import { CloseCodes } from "@plinth/websocket";
 * CloseCodes.NORMAL_CLOSURE; // 1000
 * CloseCodes.TOO_BIG; // 1009
 * ```
 */
export const CloseCodes: Readonly<{
  NORMAL_CLOSURE: 1000;
  GOING_AWAY: 1001;
  PROTOCOL_ERROR: 1002;
  CANNOT_ACCEPT: 1003;
  RESERVED: 1004;
  NO_STATUS_CODE: 1005;
  CLOSED_ABNORMALLY: 1006;
  NOT_CONSISTENT: 1007;
  VIOLATED_POLICY: 1008;
  TOO_BIG: 1009;
  NO_EXTENSION: 1010;
  UNEXPECTED_CONDITION: 1011;
  SERVICE_RESTART: 1012;
  TRY_AGAIN_LATER: 1013;
  TLS_HANDSHAKE_FAILURE: 1015;
}> = Object.freeze({
  NORMAL_CLOSURE: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  CANNOT_ACCEPT: 1003,
  RESERVED: 1004,
  NO_STATUS_CODE: 1005,
  CLOSED_ABNORMALLY: 1006,
  NOT_CONSISTENT: 1007,
  VIOLATED_POLICY: 1008,
  TOO_BIG: 1009,
  NO_EXTENSION: 1010,
  UNEXPECTED_CONDITION: 1011,
  SERVICE_RESTART: 1012,
  TRY_AGAIN_LATER: 1013,
  TLS_HANDSHAKE_FAILURE: 1015,
} as const);

/** The largest close reason a close frame can carry: 125 payload bytes less the 2-byte code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * Why a session closed: a close code and a reason phrase, as `jakarta.websocket.CloseReason`.
 *
 * The constructor accepts every code a peer can report (1000–4999, including
 * 1005 and 1006, which describe a close but are never sent); `session.close()`
 * additionally refuses the codes an endpoint may not send.
 *
 * @example
 * ```ts
 * import { CloseCodes, CloseReason } from "@plinth/websocket";
 * const reason = new CloseReason(CloseCodes.GOING_AWAY, "Server restarting");
 * reason.code; // 1001
 * ```
 */
export class CloseReason {
  /** The close code (1000–4999). */
  readonly code: number;
  /** The reason phrase; at most 123 UTF-8 bytes. */
  readonly reasonPhrase: string;

  /**
   * Makes a close reason.
   *
   * @param code an integer from 1000 to 4999
   * @param reasonPhrase at most 123 UTF-8 bytes; default `""`
   * @throws {RangeError} when `code` is outside 1000–4999 or the phrase is too long
   * @throws {TypeError} when `code` is not a number or `reasonPhrase` not a string
   */
  constructor(code: number, reasonPhrase = "") {
    if (typeof code !== "number") {
      throw new TypeError(`CloseReason: code must be a number, got ${typeof code}`);
    }
    if (!Number.isInteger(code) || code < 1000 || code > 4999) {
      throw new RangeError(`CloseReason: code must be an integer from 1000 to 4999, got ${code}`);
    }
    if (typeof reasonPhrase !== "string") {
      throw new TypeError(`CloseReason: reasonPhrase must be a string, got ${typeof reasonPhrase}`);
    }
    if (overCloseFrameLimit(reasonPhrase)) {
      throw new RangeError(
        `CloseReason: reasonPhrase must be at most ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes, got ${utf8ByteLength(reasonPhrase)}`,
      );
    }
    this.code = code;
    this.reasonPhrase = reasonPhrase;
  }
}

/** Whether `phrase` takes more than 123 UTF-8 bytes; a UTF-16 unit is at most 3, so a short phrase needs no counting. */
function overCloseFrameLimit(phrase: string): boolean {
  return phrase.length * 3 > MAX_CLOSE_REASON_BYTES && utf8ByteLength(phrase) > MAX_CLOSE_REASON_BYTES;
}

/**
 * Builds a `CloseReason` for a close a peer or the runtime reported, never
 * throwing: codes outside 1000–4999 become 1006 and over-long phrases are cut.
 */
export function reportedCloseReason(code: number, reasonPhrase: string): CloseReason {
  const known = Number.isInteger(code) && code >= 1000 && code <= 4999 ? code : CloseCodes.CLOSED_ABNORMALLY;
  let phrase = typeof reasonPhrase === "string" ? reasonPhrase : "";
  if (phrase === "") return withoutPhrase(known);
  while (overCloseFrameLimit(phrase)) {
    // Drop one code point: both halves of a surrogate pair, never leaving a lone high surrogate.
    const last = phrase.charCodeAt(phrase.length - 1);
    const before = phrase.charCodeAt(phrase.length - 2);
    const pair = last >= 0xdc00 && last <= 0xdfff && before >= 0xd800 && before <= 0xdbff;
    phrase = phrase.slice(0, pair ? -2 : -1);
  }
  return new CloseReason(known, phrase);
}

/** Reported reasons without a phrase, one frozen instance per code (most closes carry no phrase). */
const WITHOUT_PHRASE = new Map<number, CloseReason>();

function withoutPhrase(code: number): CloseReason {
  let reason = WITHOUT_PHRASE.get(code);
  if (reason === undefined) {
    reason = Object.freeze(new CloseReason(code, ""));
    WITHOUT_PHRASE.set(code, reason);
  }
  return reason;
}

/**
 * Whether RFC 6455 lets an endpoint send `code` in a close frame: 1000–1003,
 * 1007–1014 and 3000–4999. 1004, 1005, 1006 and 1015 are reserved and never sent.
 */
export function isSendableCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Turns the argument of `session.close()` into a `CloseReason` an endpoint may send.
 * @throws {TypeError} when `reason` is not a CloseReason-like object
 * @throws {RangeError} when the code is one an endpoint must not send
 */
export function toSendableCloseReason(reason: unknown): CloseReason {
  if (reason === undefined) return NORMAL_CLOSE;
  if (reason === null || typeof reason !== "object") {
    throw new TypeError(`session.close: reason must be a CloseReason, got ${reason === null ? "null" : typeof reason}`);
  }
  const candidate = reason as { code?: unknown; reasonPhrase?: unknown };
  const closeReason = reason instanceof CloseReason
    ? reason
    : new CloseReason(candidate.code as number, (candidate.reasonPhrase ?? "") as string);
  if (!isSendableCloseCode(closeReason.code)) {
    throw new RangeError(
      `session.close: close code ${closeReason.code} is reserved and may not be sent (use 1000-1003, 1007-1014 or 3000-4999)`,
    );
  }
  return closeReason;
}

const NORMAL_CLOSE = new CloseReason(CloseCodes.NORMAL_CLOSURE, "");
