// The same script against every adapter, each on its own runtime, in its own process: what a
// client observes — statuses, headers, bodies, messages, close codes and reasons — must not differ.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { transcript } from "./transcript_client.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BIN = join(ROOT, "node_modules", ".bin");
const SERVER = join(ROOT, "tests", "compare", "transcript_server.ts");

const ROWS: [adapter: string, command: string, args: string[]][] = [
  ["deno", join(BIN, "deno"), ["run", "-A", SERVER]],
  ["hono-deno", join(BIN, "deno"), ["run", "-A", SERVER]],
  ["bun", join(BIN, "bun"), [SERVER]],
  ["hono-bun", join(BIN, "bun"), [SERVER]],
  ["node", process.execPath, ["--import", "tsx", SERVER]],
  ["hono-node", process.execPath, ["--import", "tsx", SERVER]],
];

const children: ChildProcess[] = [];
after(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
});

function start(adapter: string, command: string, args: string[]): Promise<{ origin: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, PLINTH_ADAPTER: adapter, NO_COLOR: "1" },
      stdio: ["pipe", "pipe", "inherit"],
    });
    children.push(child);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${adapter}: no LISTENING line in 30 s`)), 30_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /LISTENING (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ origin: `http://127.0.0.1:${match[1]}`, child });
      }
    });
    child.on("exit", (code) => reject(new Error(`${adapter} exited with ${code} before listening`)));
  });
}

describe("what clients observe is the same on every adapter", () => {
  const transcripts = new Map<string, string[]>();
  for (const [adapter, command, args] of ROWS) {
    test(`transcript on ${adapter}`, { timeout: 60_000 }, async () => {
      const { origin, child } = await start(adapter, command, args);
      try {
        transcripts.set(adapter, await transcript(origin));
      } finally {
        child.stdin!.end();
      }
      const reference = transcripts.get("deno");
      assert.ok(reference, "the deno transcript comes first");
      assert.deepEqual(transcripts.get(adapter), reference, `${adapter} differs from deno`);
    });
  }
});
