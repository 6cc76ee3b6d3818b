/**
 * How to start a TypeScript file on each runtime, using the binaries `npm install` put in
 * `node_modules/.bin` (no `npx` wrapper process, so the child pid is the runtime itself).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { Runtime } from "./types.ts";

/** The `bench/` directory. */
export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const ROOT_DIR = resolve(BENCH_DIR, "..");

function bin(name: string): string {
  const local = join(ROOT_DIR, "node_modules", ".bin", name);
  return existsSync(local) ? local : name;
}

/** Command and arguments that run `file` (absolute path) on `runtime`. */
export function commandFor(runtime: Runtime, file: string): [string, string[]] {
  switch (runtime) {
    case "deno":
      return [bin("deno"), ["run", "-A", "--v8-flags=--expose-gc", file]];
    case "bun":
      return [bin("bun"), [file]];
    case "node":
      return [process.execPath, ["--expose-gc", "--import", "tsx", file]];
  }
}
