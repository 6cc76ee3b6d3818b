/** Timing helpers for the load client. */

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A text payload of exactly `bytes` ASCII bytes, starting with the character `head`. */
export function payload(head: string, bytes: number): string {
  return head + "x".repeat(Math.max(0, bytes - head.length));
}

/** `http://host:port` → `ws://host:port<path>`. */
export function wsUrl(origin: string, path: string): string {
  return origin.replace(/^http/, "ws") + path;
}

/**
 * Opens `count` sockets with at most `concurrency` handshakes in flight, calling `open(i)` for
 * each index; resolves with the results in index order.
 */
export async function openMany<T>(count: number, concurrency: number, open: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      results[i] = await open(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return results;
}
