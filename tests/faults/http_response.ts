/**
 * Finds and parses the HTTP response head a server sends back to an upgrade
 * request (status line and headers), from raw bytes.
 *
 * @module
 */

/** A parsed response head. */
export interface ResponseHead {
  /** The status code, or 0 when the status line is not HTTP. */
  status: number;
  statusText: string;
  /** Header names lower-cased; repeated headers joined with `, `. */
  headers: Map<string, string>;
  /** Bytes the head took, including the blank line; what follows is body or frames. */
  length: number;
}

/**
 * Index just past the `\r\n\r\n` that ends the head, or -1 if it has not
 * arrived. `from` lets a caller resume a scan without re-reading old bytes.
 */
export function findHeadEnd(bytes: Uint8Array, from = 0): number {
  for (let i = Math.max(0, from - 3); i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) return i + 4;
  }
  return -1;
}

const latin1 = new TextDecoder("latin1");

/** Parses a response head from `bytes`, or returns null if it is not complete yet. */
export function parseResponseHead(bytes: Uint8Array): ResponseHead | null {
  const end = findHeadEnd(bytes);
  if (end < 0) return null;
  const text = latin1.decode(bytes.subarray(0, end - 4));
  const [statusLine = "", ...lines] = text.split("\r\n");
  const match = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(statusLine);
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return {
    status: match ? Number(match[1]) : 0,
    statusText: match ? (match[2] ?? "") : statusLine,
    headers,
    length: end,
  };
}
