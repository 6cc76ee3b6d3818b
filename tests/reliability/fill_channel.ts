/**
 * Drives a send channel into a client that stopped reading until `put`
 * waits: the producer side of the slow-consumer and send-timeout tests.
 * @module
 */
import type { Respond, SendChannel } from "../../mod.ts";

/** Whether `promise` settles within `ms` milliseconds. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true), () => (settled = true));
  for (let i = 0; i < 3; i++) await Promise.resolve();
  if (settled) return true;
  const deadline = Date.now() + ms;
  while (!settled && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  return settled;
}

/** A binary message of `size` bytes whose first four bytes are `seq` (big-endian). */
export function numbered(seq: number, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, seq);
  bytes[size - 1] = seq & 0xff;
  return bytes;
}

/** The sequence number {@linkcode numbered} wrote. */
export function seqOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

/** What {@linkcode fillUntilPutWaits} did. */
export interface Filled {
  /** Puts that resolved true. */
  accepted: number;
  /** The put that did not settle (still waiting), or null when `maxPuts` were all accepted. */
  waiting: Promise<boolean> | null;
  /** When the first put was made (ms since epoch). */
  firstPutAt: number;
}

/**
 * Puts numbered `size`-byte messages, each with `respond()` as its target,
 * until one `put` has not settled after `waitMs`, or `maxPuts` were accepted.
 */
export async function fillUntilPutWaits(
  channel: SendChannel,
  size: number,
  respond: () => Respond,
  maxPuts = 4000,
  waitMs = 300,
): Promise<Filled> {
  const firstPutAt = Date.now();
  for (let seq = 0; seq < maxPuts; seq++) {
    const put = channel.put([numbered(seq, size), respond()]);
    if (!(await settlesWithin(put, waitMs))) return { accepted: seq, waiting: put, firstPutAt };
    if (!(await put)) throw new Error(`put ${seq} was refused: the channel closed`);
  }
  return { accepted: maxPuts, waiting: null, firstPutAt };
}

/** The value at quantile `q` (0..1) of `values`. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
}
