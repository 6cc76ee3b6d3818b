/**
 * Client-side wire encoding for fault tests: WebSocket frames with any
 * FIN/RSV bits, opcode, masking and length encoding (including deliberately
 * wrong ones), and HTTP upgrade requests, valid or with chosen defects.
 *
 * Only `node:` built-ins; runs unchanged on Node, Deno and Bun.
 *
 * @module
 */

import { createHash, randomBytes } from "node:crypto";

/** RFC 6455 opcodes (others are reserved). */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

/**
 * How the payload length is written:
 * `"minimal"` (the RFC's rule), or forced to the 7-bit, 16-bit (126) or 64-bit (127) form.
 */
export type LengthEncoding = "minimal" | "7" | "16" | "64";

/** Everything that goes into one frame. */
export interface FrameSpec {
  /** 0..15; values outside the RFC's set are allowed on purpose. */
  opcode: number;
  /** Default true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** Strings are encoded as UTF-8. Default empty. */
  payload?: Uint8Array | string;
  /** Default true (client frames must be masked). */
  mask?: boolean;
  /** The 4-byte masking key; random when omitted. */
  maskKey?: Uint8Array;
  /** Default `"minimal"` (chosen from the declared length). */
  lengthEncoding?: LengthEncoding;
  /**
   * The length written in the header, when it should differ from the payload's
   * real length (a lie: huge lengths, top bit set, …). A bigint reaches all 64 bits.
   */
  declaredLength?: number | bigint;
}

const encoder = new TextEncoder();

/** UTF-8 encodes a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Concatenates byte arrays into one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Returns a fresh random 4-byte masking key. */
export function randomMaskKey(): Uint8Array {
  return new Uint8Array(randomBytes(4));
}

/** XORs `data` with the 4-byte `key` into a new array. */
export function applyMask(data: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.length !== 4) throw new RangeError("a masking key has 4 bytes");
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) ^ (key[i & 3] as number);
  return out;
}

/**
 * Encodes one frame exactly as specified. It validates only what cannot be
 * written at all (opcode > 15, a declared length that does not fit the chosen
 * length form); everything else — unmasked, reserved bits, reserved opcodes,
 * lengths that lie — is the caller's choice.
 */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const payload = typeof spec.payload === "string" ? utf8(spec.payload) : (spec.payload ?? new Uint8Array(0));
  if (!Number.isInteger(spec.opcode) || spec.opcode < 0 || spec.opcode > 15) {
    throw new RangeError(`opcode ${spec.opcode} does not fit in 4 bits`);
  }
  const declared = BigInt(spec.declaredLength ?? payload.length);
  if (declared < 0n || declared > 0xffffffffffffffffn) throw new RangeError(`length ${declared} does not fit in 64 bits`);
  let form = spec.lengthEncoding ?? "minimal";
  if (form === "minimal") form = declared <= 125n ? "7" : declared <= 0xffffn ? "16" : "64";
  if (form === "7" && declared > 125n) throw new RangeError(`length ${declared} does not fit the 7-bit form`);
  if (form === "16" && declared > 0xffffn) throw new RangeError(`length ${declared} does not fit the 16-bit form`);

  const masked = spec.mask ?? true;
  const key = masked ? (spec.maskKey ?? randomMaskKey()) : undefined;
  if (key !== undefined && key.length !== 4) throw new RangeError("a masking key has 4 bytes");
  const extLength = form === "7" ? 0 : form === "16" ? 2 : 8;
  const header = new Uint8Array(2 + extLength + (key ? 4 : 0));
  header[0] =
    (spec.fin ?? true ? 0x80 : 0) |
    (spec.rsv1 ? 0x40 : 0) |
    (spec.rsv2 ? 0x20 : 0) |
    (spec.rsv3 ? 0x10 : 0) |
    spec.opcode;
  const lengthByte = form === "7" ? Number(declared) : form === "16" ? 126 : 127;
  header[1] = (key ? 0x80 : 0) | lengthByte;
  const view = new DataView(header.buffer);
  if (form === "16") view.setUint16(2, Number(declared));
  if (form === "64") view.setBigUint64(2, declared);
  if (key) header.set(key, 2 + extLength);
  return concatBytes([header, key ? applyMask(payload, key) : payload]);
}

/**
 * The payload of a close frame: a 2-byte code (omitted when `code` is
 * undefined) then the reason (a string as UTF-8, or raw bytes — e.g. invalid UTF-8).
 */
export function closePayload(code?: number, reason: string | Uint8Array = ""): Uint8Array {
  if (code === undefined) return new Uint8Array(0);
  const reasonBytes = typeof reason === "string" ? utf8(reason) : reason;
  const out = new Uint8Array(2 + reasonBytes.length);
  new DataView(out.buffer).setUint16(0, code & 0xffff);
  out.set(reasonBytes, 2);
  return out;
}

/** A `Sec-WebSocket-Key` value: base64 of 16 bytes (random unless `nonce` is given). */
export function generateWebSocketKey(nonce?: Uint8Array): string {
  const bytes = nonce ?? new Uint8Array(randomBytes(16));
  return bytesToBase64(bytes);
}

/** The `Sec-WebSocket-Accept` value a server must answer for `key`. */
export function computeAcceptKey(key: string): string {
  return createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
}

/** Base64 of bytes without Buffer-specific tricks. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/**
 * An upgrade request. Fields set to `null` are left out (a defect); leaving a
 * field undefined gives the valid default.
 */
export interface HandshakeSpec {
  /** `Host` header value, e.g. `127.0.0.1:8080`. `null` omits the header. */
  host: string | null;
  /** Request target. Default `/`. */
  path?: string;
  /** Default `GET`. */
  method?: string;
  /** Default `HTTP/1.1`. */
  httpVersion?: string;
  /** Replaces the whole request line (e.g. garbage). */
  requestLine?: string;
  /** Default: a fresh valid key. */
  key?: string | null;
  /** Default `13`. */
  version?: string | null;
  /** Default `websocket`. */
  upgrade?: string | null;
  /** Default `Upgrade`. */
  connection?: string | null;
  /** Sent as one `Sec-WebSocket-Protocol` header when non-empty. */
  protocols?: readonly string[];
  origin?: string;
  /** Appended after the standard headers, in order. */
  extraHeaders?: readonly (readonly [string, string])[];
  /** Default `\r\n`; e.g. `\n` for a bare-LF defect. */
  lineEnding?: string;
  /** Leaves out the blank line that ends the header block (an unterminated request). */
  omitTerminator?: boolean;
  /** Bytes appended after the header block (e.g. a body for POST, or pipelined frames). */
  body?: Uint8Array;
}

/** The encoded request and the key it carries (for checking the accept value). */
export interface HandshakeRequest {
  bytes: Uint8Array;
  /** The `Sec-WebSocket-Key` sent, or null when omitted. */
  key: string | null;
}

/** Builds an HTTP upgrade request as bytes, valid by default, with the defects the spec asks for. */
export function buildHandshakeRequest(spec: HandshakeSpec): HandshakeRequest {
  const eol = spec.lineEnding ?? "\r\n";
  const key = spec.key === undefined ? generateWebSocketKey() : spec.key;
  const lines: string[] = [
    spec.requestLine ?? `${spec.method ?? "GET"} ${spec.path ?? "/"} ${spec.httpVersion ?? "HTTP/1.1"}`,
  ];
  if (spec.host !== null) lines.push(`Host: ${spec.host}`);
  const upgrade = spec.upgrade === undefined ? "websocket" : spec.upgrade;
  if (upgrade !== null) lines.push(`Upgrade: ${upgrade}`);
  const connection = spec.connection === undefined ? "Upgrade" : spec.connection;
  if (connection !== null) lines.push(`Connection: ${connection}`);
  if (key !== null) lines.push(`Sec-WebSocket-Key: ${key}`);
  const version = spec.version === undefined ? "13" : spec.version;
  if (version !== null) lines.push(`Sec-WebSocket-Version: ${version}`);
  if (spec.protocols && spec.protocols.length > 0) lines.push(`Sec-WebSocket-Protocol: ${spec.protocols.join(", ")}`);
  if (spec.origin !== undefined) lines.push(`Origin: ${spec.origin}`);
  for (const [name, value] of spec.extraHeaders ?? []) lines.push(`${name}: ${value}`);
  const head = lines.join(eol) + eol + (spec.omitTerminator ? "" : eol);
  const bytes = spec.body ? concatBytes([utf8(head), spec.body]) : utf8(head);
  return { bytes, key };
}
