/**
 * UTF-8 byte length of a string, without encoding it.
 *
 * @example
 * ```ts
 * import { utf8ByteLength } from "./utf8.ts";
 * utf8ByteLength("héllo"); // 6
 * ```
 */
export function utf8ByteLength(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) continue;
    if (unit < 0x800) {
      bytes += 1;
    } else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        // A surrogate pair: 2 UTF-16 units, 4 UTF-8 bytes.
        bytes += 2;
        i++;
      } else {
        bytes += 2; // lone surrogate, encoded as U+FFFD (3 bytes)
      }
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/**
 * Whether `text` fits in `limit` UTF-8 bytes. Counts bytes only when the
 * answer does not follow from the string's length alone (one UTF-16 unit is
 * 1 to 3 UTF-8 bytes).
 *
 * @example
 * ```ts
 * import { fitsUtf8 } from "./utf8.ts";
 * fitsUtf8("abc", 3); // true
 * fitsUtf8("€", 2); // false
 * ```
 */
export function fitsUtf8(text: string, limit: number): boolean {
  const units = text.length;
  if (units > limit) return false;
  if (units * 3 <= limit) return true;
  return utf8ByteLength(text) <= limit;
}
