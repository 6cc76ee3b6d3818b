/** Runs one load-client process (`bench/client/main.ts`) for one job and parses its result. */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, commandFor, pinnedTo, ROOT_DIR } from "./runtimes.ts";
import type { ClientJob, ClientRuntime } from "./types.ts";

/** Runs `job` in a fresh client process on `runtime`; rejects on a non-zero exit or timeout. */
export function runClient<T>(runtime: ClientRuntime, job: ClientJob, timeoutMs: number): Promise<T> {
  const [command, args] = pinnedTo(1, commandFor(runtime, join(BENCH_DIR, "client", "main.ts")));
  const child = spawn(command, [...args, JSON.stringify(job)], { cwd: ROOT_DIR, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err = (err + chunk).slice(-4000)));
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`client (${job.workload}) timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      const line = /^RESULT (.*)$/m.exec(out);
      if (code === 0 && line?.[1]) resolve(JSON.parse(line[1]) as T);
      else reject(new Error(`client (${job.workload}) exited ${code}: ${err.trim() || out.trim()}`));
    });
  });
}
