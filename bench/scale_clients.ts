/**
 * The scale bench's load clients, seen from the runner: several `bench/client/scale_main.ts`
 * processes (pinned to CPU 1 like every bench client), each holding a share of the connections,
 * driven over stdin/stdout one JSON line at a time. Stopped by their own pids.
 *
 * On Node (`ws`) each client process connects from its own source address (127.0.0.2, .3, …), so
 * each has the whole ephemeral port range to itself; Bun's WebSocket cannot choose one, and all its
 * connections come from 127.0.0.1.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BENCH_DIR, commandFor, pinnedTo, ROOT_DIR } from "./runtimes.ts";
import type { ClientRuntime } from "./types.ts";

/** What the pool's clients report about one broadcast. */
export interface Receipts {
  received: number;
  /** Epoch ms of the first and the last receipt over every client (NaN when none). */
  first: number;
  last: number;
  /** Sockets still open over every client. */
  open: number;
}

const ANSWER_TIMEOUT_MS = 120_000;

class ClientProcess {
  readonly child: ChildProcess;
  readonly #answers: ((line: string) => void)[] = [];
  #stderr = "";

  constructor(runtime: ClientRuntime, readonly localAddress: string | undefined) {
    const [command, args] = pinnedTo(1, commandFor(runtime, join(BENCH_DIR, "client", "scale_main.ts")));
    this.child = spawn(command, args, { cwd: ROOT_DIR, stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.child.stdout! }).on("line", (line) => this.#answers.shift()?.(line));
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.#stderr = (this.#stderr + chunk).slice(-4000)));
  }

  ask<T>(command: Record<string, unknown>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`scale client: no answer to ${command.cmd} in ${ANSWER_TIMEOUT_MS} ms\n${this.#stderr}`)), ANSWER_TIMEOUT_MS);
      this.#answers.push((line) => {
        clearTimeout(timer);
        const answer = JSON.parse(line) as T & { error?: string };
        if (answer.error !== undefined) reject(new Error(`scale client: ${answer.error}`));
        else resolve(answer);
      });
      this.child.stdin!.write(`${JSON.stringify(command)}\n`);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** `count` client processes that share the connections of each step. */
export class ClientPool {
  readonly #clients: ClientProcess[];

  constructor(count: number, runtime: ClientRuntime) {
    this.#clients = Array.from({ length: count }, (_, i) => new ClientProcess(runtime, runtime === "node" ? `127.0.0.${2 + i}` : undefined));
  }

  /** The pids of the client processes (for their CPU time). */
  get pids(): number[] {
    return this.#clients.map((c) => c.child.pid ?? -1);
  }

  /**
   * Opens `total` sockets to `url`, split evenly over the clients, with `concurrency` handshakes
   * in flight in all; resolves with how many opened, errors, and the wall time of the whole.
   */
  async open(url: string, total: number, concurrency: number): Promise<{ opened: number; errors: number; ms: number }> {
    const n = this.#clients.length;
    const started = performance.now();
    const answers = await Promise.all(this.#clients.map((client, i) => {
      const count = Math.floor(total / n) + (i < total % n ? 1 : 0);
      return client.ask<{ opened: number; errors: number }>({ cmd: "open", url, count, concurrency: Math.max(1, Math.round(concurrency / n)), localAddress: client.localAddress });
    }));
    const ms = performance.now() - started;
    return { opened: answers.reduce((s, a) => s + a.opened, 0), errors: answers.reduce((s, a) => s + a.errors, 0), ms };
  }

  /** Forgets every client's receipts. */
  async reset(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.ask({ cmd: "reset" })));
  }

  /** Receipts since the last reset, over every client. */
  async receipts(): Promise<Receipts> {
    const all = await Promise.all(this.#clients.map((c) => c.ask<Receipts>({ cmd: "report" })));
    const got = all.filter((r) => r.received > 0);
    return {
      received: all.reduce((s, r) => s + r.received, 0),
      first: got.length === 0 ? Number.NaN : Math.min(...got.map((r) => r.first)),
      last: got.length === 0 ? Number.NaN : Math.max(...got.map((r) => r.last)),
      open: all.reduce((s, r) => s + r.open, 0),
    };
  }

  /** Closes every socket of every client and waits for the closes. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.ask({ cmd: "close" })));
  }

  /** Ends every client process. */
  async stop(): Promise<void> {
    await Promise.all(this.#clients.map((c) => c.stop()));
  }
}
