/**
 * Runs a TypeScript file as a child process — on this test's runtime, or on
 * Node — and reads the JSON lines it prints. Every child is stopped by its own
 * pid only, and every wait is bounded.
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { RUNTIME } from "../support/runtime.ts";

const root = new URL("../..", import.meta.url).pathname;

/** The repository root. */
export const ROOT: string = root;

/** The command that runs `file` (relative to the repository root) on `runtime`. */
export function commandFor(runtime: "deno" | "bun" | "node", file: string): string[] {
  const path = join(root, file);
  switch (runtime) {
    case "deno":
      return [(globalThis as unknown as { Deno: { execPath(): string } }).Deno?.execPath?.() ?? join(root, "node_modules/.bin/deno"), "run", "-A", "--no-check", path];
    case "bun":
      return [RUNTIME === "bun" ? process.execPath : join(root, "node_modules/.bin/bun"), path];
    case "node":
      return [RUNTIME === "node" ? process.execPath : "node", "--import", "tsx", path];
  }
}

/** A running child that prints one JSON object per line. */
export class JsonChild {
  readonly child: ChildProcess;
  readonly messages: Record<string, unknown>[] = [];
  /** Everything it wrote to stderr (for failure messages). */
  stderr = "";
  /** Resolves with the exit code (or signal name) and when it happened. */
  readonly exited: Promise<{ code: number | string; at: number }>;
  #waiters: (() => void)[] = [];
  #partial = "";
  /** True once stdout has ended (after 'exit', stdout may still hold lines). */
  #outputEnded = false;

  constructor(command: string[], env: Record<string, string> = {}) {
    const [cmd, ...args] = command;
    this.child = spawn(cmd!, args, {
      cwd: root,
      env: { ...process.env, ...env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => {
      this.child.on("exit", (code, signal) => {
        resolve({ code: code ?? signal ?? "unknown", at: Date.now() });
        this.#wake();
      });
    });
    this.child.stdout!.on("data", (chunk: Uint8Array) => {
      this.#partial += new TextDecoder().decode(chunk);
      let newline: number;
      while ((newline = this.#partial.indexOf("\n")) >= 0) {
        const line = this.#partial.slice(0, newline).trim();
        this.#partial = this.#partial.slice(newline + 1);
        if (line.startsWith("{")) {
          try {
            this.messages.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // not one of ours
          }
        }
      }
      this.#wake();
    });
    this.child.stdout!.on("close", () => {
      this.#outputEnded = true;
      this.#wake();
    });
    this.child.stderr!.on("data", (chunk: Uint8Array) => {
      if (this.stderr.length < 64 * 1024) this.stderr += new TextDecoder().decode(chunk);
    });
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Waits for the first message whose `event` is `event`; throws after `timeoutMs` or when the child exits first. */
  async waitFor(event: string, timeoutMs: number): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find((m) => m.event === event);
      if (found !== undefined) return found;
      if (this.#outputEnded) throw new Error(`child exited before "${event}"; stderr:\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${event}" from the child within ${timeoutMs} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits up to `timeoutMs` for the child to exit; the exit, or null if it is still running. */
  async waitExit(timeoutMs: number): Promise<{ code: number | string; at: number } | null> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return outcome;
  }

  /** Kills this child (by its own pid) if it still runs, and waits for it to go. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill("SIGKILL");
      await this.waitExit(5000);
    }
  }
}
