/**
 * Runs a TypeScript Worker on the real workerd, locally: bundled with esbuild
 * (workerd runs no TypeScript), served by Miniflare on 127.0.0.1, port 0, with
 * no request sent to the network (`cf: false`, no outbound service used).
 * @module
 */
import { build } from "esbuild";
import { Miniflare, supportedCompatibilityDate } from "miniflare";
import { fileURLToPath } from "node:url";

/** The compatibility dates the suite runs on: an old one, and the pinned workerd's own. */
export const COMPATIBILITY_DATES: readonly string[] = ["2025-01-01", supportedCompatibilityDate];

const bundles = new Map<string, Promise<string>>();

/** Bundles `entry` (a path relative to this directory, or absolute) into one ES module. */
export function bundle(entry: string): Promise<string> {
  const path = entry.startsWith("/") ? entry : fileURLToPath(new URL(entry, import.meta.url));
  let bundled = bundles.get(path);
  if (bundled === undefined) {
    bundled = build({
      entryPoints: [path],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      write: false,
      logLevel: "silent",
    }).then((result) => result.outputFiles[0]!.text);
    bundles.set(path, bundled);
  }
  return bundled;
}

/** A Worker running on workerd. */
export interface RunningWorker {
  /** `http://127.0.0.1:port` */
  readonly url: string;
  readonly mf: Miniflare;
  dispose(): Promise<void>;
}

/** Options of {@linkcode startWorker}. */
export interface WorkerOptions {
  compatibilityDate: string;
  /** Durable Object bindings: binding name → class name. */
  durableObjects?: Record<string, string>;
  bindings?: Record<string, string>;
}

/** Starts `script` on workerd; the caller disposes it (in `finally`). */
export async function startWorker(script: string, options: WorkerOptions): Promise<RunningWorker> {
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: options.compatibilityDate,
    durableObjects: options.durableObjects ?? {},
    bindings: options.bindings ?? {},
    port: 0,
    host: "127.0.0.1",
    cf: false,
    verbose: (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.PLINTH_WORKERD_VERBOSE === "1",
  });
  try {
    const url = (await mf.ready).origin;
    return { url, mf, dispose: () => mf.dispose() };
  } catch (error) {
    await mf.dispose();
    throw error;
  }
}
