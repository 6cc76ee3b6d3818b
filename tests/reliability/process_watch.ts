/**
 * What a reliability test watches in its own process: resident memory, and
 * unhandled promise rejections, on whichever runtime runs it.
 * @module
 */
import process from "node:process";

/** This process's resident set size in bytes. */
export function rssBytes(): number {
  return process.memoryUsage().rss;
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): number {
  return Math.round((bytes / (1024 * 1024)) * 10) / 10;
}

/** Unhandled rejections seen since {@linkcode watchUnhandledRejections}. */
export interface RejectionWatch {
  /** The reasons of the rejections seen so far. */
  readonly seen: readonly unknown[];
  /** Removes the handler. */
  stop(): void;
}

interface DenoRejectionEvent extends Event {
  readonly reason: unknown;
}

/**
 * Records unhandled promise rejections instead of letting the runtime crash
 * or fail on them: `process.on("unhandledRejection")` on Node and Bun, the
 * `unhandledrejection` event (with `preventDefault`) on Deno.
 */
export function watchUnhandledRejections(): RejectionWatch {
  const seen: unknown[] = [];
  if ("Deno" in globalThis) {
    const listener = (event: Event): void => {
      event.preventDefault();
      seen.push((event as DenoRejectionEvent).reason);
    };
    globalThis.addEventListener("unhandledrejection", listener);
    return { seen, stop: () => globalThis.removeEventListener("unhandledrejection", listener) };
  }
  const listener = (reason: unknown): void => void seen.push(reason);
  process.on("unhandledRejection", listener);
  return { seen, stop: () => void process.off("unhandledRejection", listener) };
}

/** Lets the event loop turn (and pending rejections get reported) a few times. */
export async function settleRejections(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setTimeout(resolve, 10));
}
