/**
 * Generates hostile WebSocket client behaviour as data: each case is a named,
 * reproducible byte sequence (a handshake, valid or defective, then chunks
 * written with small delays). Case `index` of `seed` is always the same bytes.
 *
 * @module
 */

import {
  closePayload,
  concatBytes,
  encodeFrame,
  generateWebSocketKey,
  Opcode,
  utf8,
  type FrameSpec,
  type HandshakeSpec,
} from "./frame.ts";
import { createPrng, mixSeed, type Prng } from "./prng.ts";

/** Every family of hostile case, in the round-robin order cases are drawn. */
export const HOSTILE_FAMILIES = [
  // Defective handshakes.
  "handshake_garbage",
  "handshake_missing_key",
  "handshake_bad_key",
  "handshake_bad_version",
  "handshake_missing_upgrade",
  "handshake_missing_host",
  "handshake_oversized_headers",
  "handshake_wrong_method",
  "handshake_http10",
  "handshake_truncated",
  // After a valid handshake.
  "unmasked_frame",
  "reserved_bits",
  "reserved_opcode",
  "invalid_utf8_text",
  "invalid_utf8_close_reason",
  "oversized_control",
  "fragmented_control",
  "continuation_without_start",
  "data_frame_inside_fragment",
  "forbidden_close_code",
  "close_one_byte",
  "length64_top_bit",
  "non_minimal_length",
  "huge_length_hangup",
  "ping_flood",
  "random_bytes",
  "random_bytes_no_handshake",
  "truncated_frame_hangup",
  "valid_messages",
  "data_after_close",
] as const;

/** A family name from {@link HOSTILE_FAMILIES}. */
export type HostileFamily = (typeof HOSTILE_FAMILIES)[number];

/** Bytes to write, after waiting `delayMs` (0 = at once). */
export interface HostileChunk {
  bytes: Uint8Array;
  delayMs: number;
}

/** The upgrade request of a case; `host` and `path` are filled from the target URL unless set. */
export type CaseHandshake = Omit<HandshakeSpec, "host"> & { host?: string | null };

/**
 * What a conforming server should do: `fail` the connection (HTTP 4xx, a close
 * frame ≥ 1002, or a drop), stay `ok` (echo every message, answer the client's
 * close with 1000), or `either` (a policy choice).
 */
export type CaseExpectation = "fail" | "ok" | "either";

/** One reproducible hostile case. */
export interface HostileCase {
  /** `family:variant[/detail]#index`. */
  name: string;
  family: HostileFamily;
  /** What this case does within its family, e.g. `op0x5`, `code1005`, `no_blank_line`. */
  variant: string;
  seed: number;
  index: number;
  /** The upgrade request to send first (`{}` = a valid one), or null for none. */
  handshake: CaseHandshake | null;
  /** Wait for the server's response head before writing `chunks` (else pipeline them). */
  awaitResponse: boolean;
  chunks: HostileChunk[];
  /** After the last chunk: `hangup` sends TCP FIN at once; `wait` keeps the connection open. */
  after: "wait" | "hangup";
  expect: CaseExpectation;
  /** Data messages a conforming server echoes before the case's fault (for echo servers). */
  expectedMessages: number;
}

const RESERVED_OPCODES = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf] as const;
const FORBIDDEN_CLOSE_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as const;
const TEXT_ATOMS = ["a", "b", "z", " ", "0", "é", "ß", "€", "中", "𝄞", "😀", "\u0000", "\n"] as const;
const INVALID_UTF8: readonly (readonly [string, readonly number[]])[] = [
  ["ff", [0xff]],
  ["fe", [0xfe]],
  ["lone_continuation", [0x80]],
  ["overlong_nul", [0xc0, 0x80]],
  ["overlong_slash", [0xe0, 0x80, 0xaf]],
  ["surrogate", [0xed, 0xa0, 0x80]],
  ["above_10ffff", [0xf4, 0x90, 0x80, 0x80]],
  ["truncated_3byte", [0xe2, 0x82]],
  ["truncated_4byte", [0xf0, 0x9f, 0x98]],
  ["f5_lead", [0xf5, 0x80, 0x80, 0x80]],
];

/** Generates `count` cases from `seed`; case `i` equals `generateHostileCase(seed, i)`. */
export function generateHostileCases(seed: number, count: number): HostileCase[] {
  const out: HostileCase[] = [];
  for (let i = 0; i < count; i++) out.push(generateHostileCase(seed, i));
  return out;
}

/** Regenerates one case from its seed and index (families round-robin by index). */
export function generateHostileCase(seed: number, index: number): HostileCase {
  const family = HOSTILE_FAMILIES[index % HOSTILE_FAMILIES.length] as HostileFamily;
  const prng = createPrng(mixSeed(seed >>> 0, index));
  const b = new CaseBuilder(prng);
  const detail = BUILDERS[family](b, prng);
  return {
    name: `${family}:${detail}#${index}`,
    family,
    variant: detail.split("/")[0] as string,
    seed: seed >>> 0,
    index,
    handshake: b.handshake,
    awaitResponse: b.awaitResponse,
    chunks: b.chunks(),
    after: b.after,
    expect: b.expect,
    expectedMessages: b.expectedMessages,
  };
}

/** Collects one case's parts while a family builder runs. */
class CaseBuilder {
  handshake: CaseHandshake | null;
  awaitResponse = true;
  after: "wait" | "hangup" = "wait";
  expect: CaseExpectation = "fail";
  expectedMessages = 0;
  /** Split the frame bytes into small delayed chunks (set per case). */
  split: boolean;
  readonly #prng: Prng;
  readonly #parts: Uint8Array[] = [];

  constructor(prng: Prng) {
    this.#prng = prng;
    this.handshake = { key: generateWebSocketKey(prng.bytes(16)) };
    this.split = prng.chance(0.25);
  }

  /** Appends one frame, masked with a key from the case's PRNG unless `spec.mask === false`. */
  frame(spec: FrameSpec): this {
    const masked = spec.mask ?? true;
    this.#parts.push(encodeFrame({ ...spec, mask: masked, ...(masked ? { maskKey: this.#prng.bytes(4) } : {}) }));
    return this;
  }

  raw(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    return this;
  }

  /** 0–2 valid messages (30% of cases) before the fault; counted as expected echoes. */
  prelude(): this {
    if (!this.#prng.chance(0.3)) return this;
    const n = this.#prng.range(1, 2);
    for (let i = 0; i < n; i++) this.validMessage();
    return this;
  }

  /** One valid text or binary message, sometimes fragmented (with a ping in between). */
  validMessage(): this {
    const p = this.#prng;
    const isText = p.chance(0.5);
    const big = p.chance(0.03);
    const payload = isText ? utf8(randomText(p, big ? 30000 : p.int(120))) : p.bytes(big ? p.range(65536, 70000) : p.int(200));
    const opcode = isText ? Opcode.TEXT : Opcode.BINARY;
    if (payload.length > 1 && p.chance(0.3)) {
      const cuts = [...new Set([p.range(1, payload.length - 1), p.range(1, payload.length - 1)])].sort((x, y) => x - y);
      let from = 0;
      cuts.push(payload.length);
      cuts.forEach((to, i) => {
        this.frame({ opcode: i === 0 ? opcode : Opcode.CONTINUATION, fin: i === cuts.length - 1, payload: payload.slice(from, to) });
        if (i < cuts.length - 1 && p.chance(0.3)) this.frame({ opcode: Opcode.PING, payload: p.bytes(p.int(8)) });
        from = to;
      });
    } else {
      this.frame({ opcode, payload });
    }
    this.expectedMessages++;
    return this;
  }

  /** A valid close frame (1000). */
  validClose(): this {
    return this.frame({ opcode: Opcode.CLOSE, payload: closePayload(1000, "bye") });
  }

  chunks(): HostileChunk[] {
    const all = concatBytes(this.#parts);
    if (all.length === 0) return [];
    if (!this.split || all.length < 2) return [{ bytes: all, delayMs: 0 }];
    const p = this.#prng;
    const pieces = Math.min(all.length, p.range(2, 8));
    const cuts = new Set<number>();
    while (cuts.size < pieces - 1) cuts.add(p.range(1, all.length - 1));
    const sorted = [...cuts].sort((x, y) => x - y);
    sorted.push(all.length);
    let from = 0;
    return sorted.map((to) => {
      const chunk = { bytes: all.slice(from, to), delayMs: p.int(4) };
      from = to;
      return chunk;
    });
  }
}

function randomText(p: Prng, atoms: number): string {
  let s = "";
  for (let i = 0; i < atoms; i++) s += p.pick(TEXT_ATOMS);
  return s;
}

/** Fills the builder; returns `variant` or `variant/detail` (the variant is low-cardinality). */
type Builder = (b: CaseBuilder, p: Prng) => string;

const BUILDERS: Record<HostileFamily, Builder> = {
  handshake_garbage(b, p) {
    const lines: readonly (readonly [string, string])[] = [
      ["one_word", "GARBAGE"],
      ["method_only", "GET"],
      ["no_version", "GET /"],
      ["control_chars", "\u0000\u0001\u0002 / HTTP/1.1"],
      ["http_9_9", "GET / HTTP/9.9"],
      ["ftp_protocol", "GET / FTP/1.1"],
      ["extra_token", "GET  /  HTTP/1.1 extra"],
      ["random_printable", String.fromCharCode(...p.bytes(40).map((x) => 33 + (x % 90)))],
    ];
    const [variant, requestLine] = p.pick(lines);
    b.handshake = { ...b.handshake, requestLine };
    return variant;
  },
  handshake_missing_key(b) {
    b.handshake = { ...b.handshake, key: null };
    return "no_key";
  },
  handshake_bad_key(b, p) {
    const keys: readonly (readonly [string, string])[] = [
      ["8_bytes", generateWebSocketKey(p.bytes(8))],
      ["20_bytes", generateWebSocketKey(p.bytes(20))],
      ["not_base64", "this is not base64!!!!=="],
      ["empty", ""],
      ["two_keys", `${generateWebSocketKey(p.bytes(16))}, ${generateWebSocketKey(p.bytes(16))}`],
    ];
    const [variant, key] = p.pick(keys);
    b.handshake = { ...b.handshake, key };
    return variant;
  },
  handshake_bad_version(b, p) {
    const version = p.pick([null, "12", "99", "8", "", "abc", "13a"] as const);
    b.handshake = { ...b.handshake, version };
    return version === null ? "missing" : `v${version}`;
  },
  handshake_missing_upgrade(b, p) {
    const variants: readonly (readonly [string, Partial<HandshakeSpec>])[] = [
      ["no_upgrade", { upgrade: null }],
      ["upgrade_h2c", { upgrade: "h2c" }],
      ["no_connection", { connection: null }],
      ["connection_keepalive", { connection: "keep-alive" }],
      ["neither", { upgrade: null, connection: null }],
    ];
    const [variant, defect] = p.pick(variants);
    b.handshake = { ...b.handshake, ...defect };
    return variant;
  },
  handshake_missing_host(b) {
    b.handshake = { ...b.handshake, host: null };
    return "no_host";
  },
  handshake_oversized_headers(b, p) {
    b.expect = "either";
    if (p.chance(0.5)) {
      const kib = p.pick([64, 128] as const);
      b.handshake = { ...b.handshake, extraHeaders: [["X-Big", "x".repeat(kib * 1024)]] };
      return `one_${kib}k_header`;
    }
    const n = p.pick([500, 2000] as const);
    const headers: [string, string][] = [];
    for (let i = 0; i < n; i++) headers.push([`X-H${i}`, "y".repeat(32)]);
    b.handshake = { ...b.handshake, extraHeaders: headers };
    return `${n}_headers`;
  },
  handshake_wrong_method(b, p) {
    const method = p.pick(["POST", "PUT", "DELETE", "OPTIONS"] as const);
    b.handshake = { ...b.handshake, method, extraHeaders: [["Content-Length", "0"]] };
    return method.toLowerCase();
  },
  handshake_http10(b) {
    b.handshake = { ...b.handshake, httpVersion: "HTTP/1.0" };
    return "http10";
  },
  handshake_truncated(b, p) {
    b.handshake = { ...b.handshake, omitTerminator: true };
    b.after = "hangup";
    if (p.chance(0.5)) b.handshake.lineEnding = "\n";
    return b.handshake.lineEnding === "\n" ? "bare_lf" : "no_blank_line";
  },
  unmasked_frame(b, p) {
    b.prelude();
    const opcode = p.pick([Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.CLOSE] as const);
    const payload = opcode === Opcode.CLOSE ? closePayload(1000) : utf8(randomText(p, p.int(20)));
    b.frame({ opcode, payload, mask: false });
    return `op${opcode}`;
  },
  reserved_bits(b, p) {
    b.prelude();
    const rsv = p.range(1, 7);
    const opcode = p.pick([Opcode.TEXT, Opcode.BINARY, Opcode.PING, Opcode.CLOSE] as const);
    const payload = opcode === Opcode.CLOSE ? closePayload(1000) : utf8("rsv");
    b.frame({ opcode, payload, rsv1: (rsv & 4) !== 0, rsv2: (rsv & 2) !== 0, rsv3: (rsv & 1) !== 0 });
    return `rsv${rsv}_op${opcode}`;
  },
  reserved_opcode(b, p) {
    b.prelude();
    const opcode = p.pick(RESERVED_OPCODES);
    b.frame({ opcode, payload: p.bytes(p.int(10)) });
    return `op0x${opcode.toString(16)}`;
  },
  invalid_utf8_text(b, p) {
    b.prelude();
    const [variant, bad] = p.pick(INVALID_UTF8);
    const payload = concatBytes([utf8(randomText(p, p.int(10))), Uint8Array.from(bad)]);
    if (p.chance(0.3) && payload.length > 1) {
      const cut = p.range(1, payload.length - 1);
      b.frame({ opcode: Opcode.TEXT, fin: false, payload: payload.slice(0, cut) });
      b.frame({ opcode: Opcode.CONTINUATION, payload: payload.slice(cut) });
      return `${variant}_fragmented`;
    }
    b.frame({ opcode: Opcode.TEXT, payload });
    return variant;
  },
  invalid_utf8_close_reason(b, p) {
    b.prelude();
    const [variant, bad] = p.pick(INVALID_UTF8);
    b.frame({ opcode: Opcode.CLOSE, payload: closePayload(1000, concatBytes([utf8("r"), Uint8Array.from(bad)])) });
    return variant;
  },
  oversized_control(b, p) {
    b.prelude();
    const opcode = p.pick([Opcode.PING, Opcode.PONG, Opcode.CLOSE] as const);
    const size = p.pick([126, 127, 200, 1000] as const);
    const payload = opcode === Opcode.CLOSE ? closePayload(1000, "r".repeat(size - 2)) : p.bytes(size);
    b.frame({ opcode, payload });
    return `op${opcode}_${size}`;
  },
  fragmented_control(b, p) {
    b.prelude();
    const opcode = p.pick([Opcode.PING, Opcode.PONG, Opcode.CLOSE] as const);
    const payload = opcode === Opcode.CLOSE ? closePayload(1000) : utf8("frag");
    b.frame({ opcode, fin: false, payload });
    if (p.chance(0.5)) b.frame({ opcode: Opcode.CONTINUATION, payload: utf8("ment") });
    return `op${opcode}`;
  },
  continuation_without_start(b, p) {
    b.prelude();
    const fin = p.chance(0.5);
    b.frame({ opcode: Opcode.CONTINUATION, fin, payload: utf8("orphan") });
    return fin ? "fin" : "no_fin";
  },
  data_frame_inside_fragment(b, p) {
    b.prelude();
    const first = p.pick([Opcode.TEXT, Opcode.BINARY] as const);
    const second = p.pick([Opcode.TEXT, Opcode.BINARY] as const);
    b.frame({ opcode: first, fin: false, payload: utf8("start") });
    b.frame({ opcode: second, fin: p.chance(0.7), payload: utf8("intruder") });
    return `op${first}_then_op${second}`;
  },
  forbidden_close_code(b, p) {
    b.prelude();
    const code = p.pick(FORBIDDEN_CLOSE_CODES);
    b.frame({ opcode: Opcode.CLOSE, payload: closePayload(code, p.chance(0.5) ? "why" : "") });
    return `code${code}`;
  },
  close_one_byte(b, p) {
    b.prelude();
    const byte = p.int(256);
    b.frame({ opcode: Opcode.CLOSE, payload: Uint8Array.of(byte) });
    return `one_byte/${byte}`;
  },
  length64_top_bit(b, p) {
    b.prelude();
    const declared = 0x8000000000000000n | BigInt(p.int(1000));
    b.frame({ opcode: p.pick([Opcode.TEXT, Opcode.BINARY] as const), lengthEncoding: "64", declaredLength: declared, payload: p.bytes(p.int(32)) });
    return `top_bit/0x${declared.toString(16)}`;
  },
  non_minimal_length(b, p) {
    b.expect = "either";
    b.prelude();
    const form = p.pick(["16", "64"] as const);
    const size = form === "16" ? p.int(126) : p.int(65536);
    b.frame({ opcode: Opcode.BINARY, lengthEncoding: form, payload: p.bytes(size) });
    b.expectedMessages++;
    b.validClose();
    return `${form}bit_length`;
  },
  huge_length_hangup(b, p) {
    b.prelude();
    b.after = "hangup";
    const [label, declared] = p.pick([
      ["2^31", 2n ** 31n],
      ["2^32+5", 2n ** 32n + 5n],
      ["2^40", 2n ** 40n],
      ["2^53-1", 2n ** 53n - 1n],
      ["2^53+1", 2n ** 53n + 1n],
      ["100MiB+1", 100n * 1024n * 1024n + 1n],
    ] as const);
    b.frame({ opcode: p.pick([Opcode.TEXT, Opcode.BINARY] as const), lengthEncoding: "64", declaredLength: declared, payload: p.bytes(p.int(1000)) });
    return `declared_${label}`;
  },
  ping_flood(b, p) {
    // Policy: `ws` terminates a client with more than 60 pongs pending (maxPendingAutoPongs).
    b.expect = "either";
    b.split = false;
    const n = p.range(1000, 3000);
    for (let i = 0; i < n; i++) b.frame({ opcode: Opcode.PING, payload: p.bytes(p.int(16)) });
    if (p.chance(0.5)) b.validMessage();
    b.validClose();
    return `pings/${n}`;
  },
  random_bytes(b, p) {
    b.expect = "either";
    b.prelude();
    b.after = "hangup";
    const n = p.range(1, 512);
    b.raw(p.bytes(n));
    return `bytes/${n}`;
  },
  random_bytes_no_handshake(b, p) {
    b.expect = "either";
    b.handshake = null;
    b.awaitResponse = false;
    b.after = "hangup";
    const n = p.range(1, 512);
    const prefix = p.chance(0.3) ? utf8("GET / HTTP/1.1\r\n") : new Uint8Array(0);
    b.raw(concatBytes([prefix, p.bytes(n)]));
    return `${prefix.length > 0 ? "get_prefix" : "bytes"}/${n}`;
  },
  truncated_frame_hangup(b, p) {
    b.prelude();
    b.after = "hangup";
    const payload = p.bytes(p.range(1, 300));
    const whole = encodeFrame({ opcode: Opcode.BINARY, payload, maskKey: p.bytes(4) });
    const cut = p.range(1, whole.length - 1);
    b.raw(whole.slice(0, cut));
    return `${cut < whole.length - payload.length ? "in_header" : "in_payload"}/${cut}_of_${whole.length}`;
  },
  valid_messages(b, p) {
    b.expect = "ok";
    b.awaitResponse = p.chance(0.75);
    const n = p.range(1, 8);
    for (let i = 0; i < n; i++) b.validMessage();
    b.validClose();
    return `${b.awaitResponse ? "after_101" : "pipelined"}/${n}`;
  },
  data_after_close(b, p) {
    b.expect = "ok";
    b.prelude();
    b.validClose();
    b.frame({ opcode: p.pick([Opcode.TEXT, Opcode.BINARY, Opcode.PING] as const), payload: utf8("after close") });
    return "frame_after_close";
  },
};
