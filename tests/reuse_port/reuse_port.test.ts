/**
 * `serve({ reusePort: true })`: two processes serve one port, on Deno and Bun
 * (SO_REUSEPORT) and on Node (two `node:cluster` workers), and connections
 * reach both. Run on Node: `npx tsx --test tests/reuse_port/reuse_port.test.ts`.
 * @module
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import process from "node:process";
import { describe, it } from "node:test";
import { WebSocket } from "ws";
import { serve } from "../../adapters/node.ts";
import { createContainer } from "../../mod.ts";

const root = new URL("../..", import.meta.url).pathname;
const SERVER = join(root, "tests/reuse_port/reuse_port_server.ts");
const CONNECTIONS = 24;

interface Line {
  listening?: number;
  error?: string;
  pid: number;
}

/** A server child: its JSON lines, and a stop by its own pid. */
class ServerChild {
  readonly child: ChildProcess;
  readonly lines: Line[] = [];
  stderr = "";
  #partial = "";
  #wake: (() => void) | null = null;

  constructor(command: string[], env: Record<string, string> = {}) {
    const [cmd, ...args] = command;
    this.child = spawn(cmd!, args, { cwd: root, env: { ...process.env, ...env, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      this.#partial += chunk;
      let newline: number;
      while ((newline = this.#partial.indexOf("\n")) >= 0) {
        const line = this.#partial.slice(0, newline).trim();
        this.#partial = this.#partial.slice(newline + 1);
        if (line.startsWith("{")) this.lines.push(JSON.parse(line) as Line);
      }
      this.#wake?.();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    this.child.on("exit", () => this.#wake?.());
  }

  /** Waits until `count` lines arrived; throws after 20 s or when the child exits first. */
  async waitLines(count: number): Promise<Line[]> {
    const deadline = Date.now() + 20_000;
    while (this.lines.length < count) {
      if (this.child.exitCode !== null) throw new Error(`server exited (${this.child.exitCode}): ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${count} lines from the server within 20 s: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.slice(0, count);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 3000);
    await exited;
    clearTimeout(timer);
  }
}

function commandFor(runtime: "deno" | "bun" | "node"): string[] {
  switch (runtime) {
    case "deno":
      return [join(root, "node_modules/.bin/deno"), "run", "-A", "--unstable-net", "--no-check", SERVER];
    case "bun":
      return [join(root, "node_modules/.bin/bun"), SERVER];
    case "node":
      return [process.execPath, "--import", "tsx", SERVER];
  }
}

/** The pid each of `count` fresh connections to `/who` is greeted with. */
async function greeters(port: number, count: number): Promise<Set<string>> {
  const pids = new Set<string>();
  for (let i = 0; i < count; i++) {
    const pid = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/who`);
      const timer = setTimeout(() => reject(new Error("no greeting within 5 s")), 5000);
      ws.once("message", (data) => {
        clearTimeout(timer);
        resolve(String(data));
        ws.close();
      });
      ws.once("error", (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
    pids.add(pid);
  }
  return pids;
}

describe("serve({ reusePort: true })", () => {
  for (const runtime of ["deno", "bun"] as const) {
    it(`two ${runtime} processes serve one port`, async () => {
      const first = new ServerChild([...commandFor(runtime), "0"]);
      let second: ServerChild | undefined;
      try {
        const [a] = await first.waitLines(1);
        assert.ok(a?.listening, `first server: ${JSON.stringify(a)}`);
        second = new ServerChild([...commandFor(runtime), String(a.listening)]);
        const [b] = await second.waitLines(1);
        assert.equal(b?.listening, a.listening, `second server: ${JSON.stringify(b)}`);
        const pids = await greeters(a.listening, CONNECTIONS);
        // The kernel spreads connections by a hash of their addresses: over 24, both get some.
        assert.deepEqual([...pids].sort(), [String(a.pid), String(b.pid)].sort());
        // One process going away leaves the other serving the port.
        await first.stop();
        assert.deepEqual([...(await greeters(a.listening, 4))], [String(b.pid)]);
      } finally {
        await first.stop();
        await second?.stop();
      }
    });
  }

  it("two node:cluster workers serve one port", async () => {
    const primary = new ServerChild([...commandFor("node"), "0"], { PLINTH_CLUSTER: "2" });
    try {
      const [a, b] = await primary.waitLines(2);
      assert.ok(a?.listening, `first worker: ${JSON.stringify(a)}`);
      assert.equal(b?.listening, a.listening, `second worker: ${JSON.stringify(b)}`);
      assert.notEqual(a.pid, b.pid);
      const pids = await greeters(a.listening, CONNECTIONS);
      assert.deepEqual([...pids].sort(), [String(a.pid), String(b.pid)].sort());
    } finally {
      await primary.stop();
    }
  });

  it("on Node before 22.12, outside a cluster worker, reusePort is refused by name", async (t) => {
    const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
    if (major > 22 || (major === 22 && minor >= 12)) {
      t.skip("this Node sets SO_REUSEPORT itself");
      return;
    }
    await assert.rejects(serve(createContainer(), { reusePort: true }), /options\.reusePort/);
  });

  it("a reusePort that is not a boolean is a TypeError naming it", async () => {
    assert.throws(() => serve(createContainer(), { reusePort: "yes" as unknown as boolean }), {
      name: "TypeError",
      message: /options\.reusePort/,
    });
  });
});
