/**
 * A real `redis-server` (Debian's binary) for the backplane tests: started on
 * a free loopback port with persistence off, stopped by its own pid only.
 * @module
 */
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** The redis-server binary: `REDIS_SERVER`, else the one on PATH; null when there is none. */
export function redisServerBinary(): string | null {
  const configured = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
    .REDIS_SERVER;
  const candidate = configured ?? "redis-server";
  try {
    const probe = spawnSync(candidate, ["--version"], { encoding: "utf8", timeout: 5000 });
    return probe.status === 0 ? candidate : null;
  } catch {
    return null;
  }
}

/** Why the backplane tests are skipped here, or undefined when redis-server is available. */
export const SKIP_WITHOUT_REDIS: string | undefined = redisServerBinary() === null
  ? "redis-server is not installed (.ci/run installs it)"
  : undefined;

/** A port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One redis-server process; `restart()` brings it back on the same port. */
export class RedisServer {
  #child: ChildProcess | null = null;
  #exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, readonly binary: string) {}

  /** `redis://127.0.0.1:PORT`. */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's pid, or undefined when it is stopped. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts a server on a free port (tries a few ports if one is taken in between). */
  static async start(): Promise<RedisServer> {
    const binary = redisServerBinary();
    if (binary === null) throw new Error("redis-server is not installed");
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const server = new RedisServer(await freePort(), binary);
      try {
        await server.#launch();
        return server;
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`could not start redis-server: ${String(lastError)}`);
  }

  /** Starts the server again on the same port (after `kill`). */
  async restart(): Promise<void> {
    if (this.#child !== null) throw new Error("redis-server is still running");
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return await this.#launch();
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  /** Kills the server by its pid (SIGKILL by default) and waits until it is gone. */
  async kill(signal: "SIGKILL" | "SIGTERM" = "SIGKILL"): Promise<void> {
    const child = this.#child;
    if (child === null) return;
    this.#child = null;
    child.kill(signal);
    await this.#exited;
  }

  /** Stops the server (SIGKILL: there is nothing to save). */
  stop(): Promise<void> {
    return this.kill("SIGKILL");
  }

  #launch(): Promise<void> {
    const args = ["--save", "", "--appendonly", "no", "--port", String(this.port), "--bind", "127.0.0.1"];
    const child = spawn(this.binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
      let output = "";
      const timer = setTimeout(() => fail(new Error(`redis-server did not start in 10 s: ${output}`)), 10_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        if (this.#child === child) this.#child = null;
        child.kill("SIGKILL");
        reject(error);
      };
      child.stdout!.on("data", (chunk: Uint8Array) => {
        if (output.length < 8192) output += new TextDecoder().decode(chunk);
        if (output.includes("Ready to accept connections")) {
          clearTimeout(timer);
          child.stdout!.removeAllListeners("data");
          child.stdout!.resume();
          resolve();
        }
      });
      child.stderr!.resume();
      child.once("exit", (code) => fail(new Error(`redis-server exited (${code}): ${output.slice(-2000)}`)));
    });
  }
}
