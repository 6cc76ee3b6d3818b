/**
 * Starts a bench server file as a child process and stops it: waits for its
 * `LISTENING <port>` line, and on stop closes its stdin, then SIGTERM, then SIGKILL (by pid).
 */
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { commandFor, pinnedTo, ROOT_DIR } from "./runtimes.ts";
import type { Runtime } from "./types.ts";

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 2_000;

/** A bench server that printed its port. */
export interface RunningServer {
  port: number;
  origin: string;
  pid: number;
  /** Everything the server wrote to stderr so far (for error messages). */
  stderr(): string;
  /** Everything the server wrote to stdout so far (the `LISTENING` line and what it adds). */
  stdout(): string;
  stop(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

function timeout(ms: number): Promise<"timeout"> {
  return new Promise((resolve) => setTimeout(() => resolve("timeout"), ms).unref());
}

/** How to start a server beyond its file. */
export interface StartOptions {
  /** Added to the runner's environment. */
  env?: Record<string, string>;
  /** Pin it to CPU 0 (the default), or let it run on any CPU (`false`: several server processes). */
  pin?: boolean;
}

/** Starts `file` (absolute path) on `runtime`; rejects if it does not announce a port in time. */
export async function startServer(runtime: Runtime, file: string, options: StartOptions = {}): Promise<RunningServer> {
  const [command, args] = options.pin === false ? commandFor(runtime, file) : pinnedTo(0, commandFor(runtime, file));
  const env = options.env === undefined ? undefined : { ...process.env, ...options.env };
  const child = spawn(command, args, { cwd: ROOT_DIR, env, stdio: ["pipe", "pipe", "pipe"] });
  let errText = "";
  let outText = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    errText = (errText + chunk).slice(-4000);
  });

  const stop = async (): Promise<void> => {
    child.stdin?.end();
    if ((await Promise.race([exited(child), timeout(STOP_GRACE_MS)])) !== "timeout") return;
    child.kill("SIGTERM");
    if ((await Promise.race([exited(child), timeout(STOP_GRACE_MS)])) !== "timeout") return;
    child.kill("SIGKILL");
    await exited(child);
  };

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no LISTENING line within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      outText += chunk;
      const match = /^LISTENING (\d+)$/m.exec(outText);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code ?? signal}) before LISTENING`));
    });
  }).catch(async (err: unknown) => {
    await stop();
    throw new Error(`${file} on ${runtime}: ${err instanceof Error ? err.message : String(err)}\n${errText}`);
  });

  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    stderr: () => errText,
    stdout: () => outText,
    stop,
  };
}
