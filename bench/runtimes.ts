/**
 * How to start a TypeScript file on each runtime, using the binaries `npm install` put in
 * `node_modules/.bin` (no `npx` wrapper process, so the child pid is the runtime itself).
 */
import { existsSync } from "node:fs";
import { availableParallelism } from "node:os";
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
      // --unstable-net: Deno still marks `reusePort` unstable (the every-core row of bench/scale.ts).
      return [bin("deno"), ["run", "-A", "--unstable-net", "--v8-flags=--expose-gc", file]];
    case "bun":
      return [bin("bun"), [file]];
    case "node":
    case "workerd": // the file is a Node launcher that runs its Worker on workerd through Miniflare
      return [process.execPath, ["--expose-gc", "--import", "tsx", file]];
  }
}

/**
 * Pins a process to one CPU with `taskset` when the machine has two or more and `taskset` is
 * there (util-linux): the server on CPU 0, the load client on CPU 1, every row alike. Unpinned,
 * the scheduler's placement of the two processes swings a row's echo figure between two modes
 * (about 100k and 150k msg/s here) from one round to the next. `PLINTH_BENCH_NO_PIN=1` turns it off.
 */
export function pinnedTo(cpu: number, [command, args]: [string, string[]]): [string, string[]] {
  if (process.env.PLINTH_BENCH_NO_PIN === "1" || availableParallelism() < 2 || !existsSync("/usr/bin/taskset")) {
    return [command, args];
  }
  return ["/usr/bin/taskset", ["-c", String(cpu), command, ...args]];
}
