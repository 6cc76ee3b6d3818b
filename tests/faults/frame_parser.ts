/**
 * An incremental parser for server→client WebSocket frames, for fault tests.
 * It is lenient on purpose (it reports what the server sent — masked frames,
 * reserved bits, odd opcodes — instead of rejecting it) and only stops on a
 * length it refuses to buffer.
 *
 * @module
 */

/** What a frame is, by opcode. */
export type FrameKind = "continuation" | "text" | "binary" | "close" | "ping" | "pong" | "reserved";

/** One frame as received. */
export interface ParsedFrame {
  kind: FrameKind;
  opcode: number;
  fin: boolean;
  /** The three RSV bits as a number 0..7 (RSV1 = 4). */
  rsv: number;
  /** True if the server masked it (servers must not). The payload is already unmasked. */
  masked: boolean;
  payload: Uint8Array;
  /** Close frames only: the status code, or 1005 when the payload is empty. */
  closeCode?: number;
  /** Close frames only: the reason, decoded leniently. */
  closeReason?: string;
}

const KINDS: Record<number, FrameKind> = {
  0x0: "continuation",
  0x1: "text",
  0x2: "binary",
  0x8: "close",
  0x9: "ping",
  0xa: "pong",
};

const lenientDecoder = new TextDecoder("utf-8");

/** Decodes a frame's payload as UTF-8 (invalid sequences become U+FFFD). */
export function frameText(frame: ParsedFrame): string {
  return lenientDecoder.decode(frame.payload);
}

/** Default cap on one frame's payload: larger declared lengths are a parse error. */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** Feed bytes in with `push`; complete frames come out in order. */
export class FrameParser {
  #buffer: Uint8Array = new Uint8Array(0);
  #error: string | null = null;
  readonly #maxFrameBytes: number;

  /** @param maxFrameBytes payloads declared longer than this stop the parser with an error. */
  constructor(maxFrameBytes: number = DEFAULT_MAX_FRAME_BYTES) {
    this.#maxFrameBytes = maxFrameBytes;
  }

  /** Why parsing stopped, or null. Once set, `push` returns no more frames. */
  get error(): string | null {
    return this.#error;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Adds bytes and returns every frame completed by them. */
  push(chunk: Uint8Array): ParsedFrame[] {
    if (this.#error !== null) return [];
    if (chunk.length > 0) {
      if (this.#buffer.length === 0) {
        // A plain view, so that slice() below copies (Buffer#slice would share memory).
        this.#buffer = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
      } else {
        const joined = new Uint8Array(this.#buffer.length + chunk.length);
        joined.set(this.#buffer, 0);
        joined.set(chunk, this.#buffer.length);
        this.#buffer = joined;
      }
    }
    const frames: ParsedFrame[] = [];
    const buf = this.#buffer;
    let offset = 0;
    for (;;) {
      const available = buf.length - offset;
      if (available < 2) break;
      const b0 = buf[offset] as number;
      const b1 = buf[offset + 1] as number;
      const masked = (b1 & 0x80) !== 0;
      let length = b1 & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        if (available < 4) break;
        length = ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number);
        headerLength = 4;
      } else if (length === 127) {
        if (available < 10) break;
        const view = new DataView(buf.buffer, buf.byteOffset + offset + 2, 8);
        const big = view.getBigUint64(0);
        if (big > BigInt(this.#maxFrameBytes)) {
          this.#error = `frame declares ${big} bytes (limit ${this.#maxFrameBytes})`;
          break;
        }
        length = Number(big);
        headerLength = 10;
      }
      if (length > this.#maxFrameBytes) {
        this.#error = `frame declares ${length} bytes (limit ${this.#maxFrameBytes})`;
        break;
      }
      const maskLength = masked ? 4 : 0;
      if (available < headerLength + maskLength + length) break;
      const start = offset + headerLength + maskLength;
      const payload = buf.slice(start, start + length);
      if (masked) {
        const keyAt = offset + headerLength;
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (buf[keyAt + (i & 3)] as number);
      }
      const opcode = b0 & 0x0f;
      const frame: ParsedFrame = {
        kind: KINDS[opcode] ?? "reserved",
        opcode,
        fin: (b0 & 0x80) !== 0,
        rsv: (b0 >> 4) & 0x07,
        masked,
        payload,
      };
      if (frame.kind === "close") {
        if (payload.length >= 2) {
          frame.closeCode = ((payload[0] as number) << 8) | (payload[1] as number);
          frame.closeReason = lenientDecoder.decode(payload.subarray(2));
        } else {
          frame.closeCode = 1005;
          frame.closeReason = "";
        }
      }
      frames.push(frame);
      offset = start + length;
    }
    this.#buffer = offset === 0 ? buf : buf.slice(offset);
    return frames;
  }
}

/**
 * The code of the first close frame in `frames`: its status code, 1005 when the
 * close frame had no payload, or null when there is no close frame.
 */
export function closeFrameCode(frames: readonly ParsedFrame[]): number | null {
  for (const f of frames) if (f.kind === "close") return f.closeCode ?? 1005;
  return null;
}
