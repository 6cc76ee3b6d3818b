/**
 * `npm test`: type-checks, lints the docs, dry-runs the JSR publish, then runs
 * the unit tests and the contract suite on every runtime and adapter, and
 * prints one summary line per runtime. Exits non-zero on any failure.
 *
 * `npm test -- --only contract` runs the steps whose name contains "contract".
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

type Runtime = "checks" | "deno" | "bun" | "node" | "browser" | "cross-runtime";

interface Step {
  readonly name: string;
  readonly runtime: Runtime;
  readonly command: string[];
  readonly env?: Record<string, string>;
  /** Files that must exist for the step to run. */
  readonly needs?: string[];
  readonly timeoutMs?: number;
}

interface Outcome {
  passed: number;
  failed: number;
}

const root = new URL("..", import.meta.url).pathname;
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const testFiles = (dir: string): string[] =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join(dir, f))
    : [];
const tsFiles = (dir: string): string[] =>
  existsSync(join(root, dir))
    ? readdirSync(join(root, dir)).filter((f) => f.endsWith(".ts")).sort().map((f) => join(dir, f))
    : [];
/** The adapter entry points, from deno.json's `exports` (package.json's maps the same entries to dist/). */
const adapterFiles = Object.values(
  (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { exports: Record<string, string> }).exports,
).filter((f) => f.startsWith("./adapters/")).map((f) => f.slice(2)).filter((f) => existsSync(join(root, f)));

function contractSteps(): Step[] {
  const rows: [Runtime, string, string[]][] = [
    ["deno", "deno", ["adapters/deno.ts"]],
    ["deno", "hono-deno", ["adapters/hono.ts", "tests/support/hono_serve_deno.ts"]],
    ["bun", "bun", ["adapters/bun.ts"]],
    ["bun", "hono-bun", ["adapters/hono.ts", "tests/support/hono_serve_bun.ts"]],
    ["node", "node", ["adapters/node.ts"]],
    ["node", "hono-node", ["adapters/hono.ts", "tests/support/hono_serve_node.ts"]],
  ];
  return rows.map(([runtime, adapter, needs]) => ({
    name: `contract ${adapter}`,
    runtime,
    command: runnerFor(runtime, testFiles("tests/contract")),
    env: { PLINTH_ADAPTER: adapter },
    needs,
  }));
}

function runnerFor(runtime: Runtime, files: string[]): string[] {
  switch (runtime) {
    case "deno":
      return [bin("deno"), "test", "-A", "--no-check", ...files];
    case "bun":
      return [bin("bun"), "test", "--timeout", "30000", ...files.map((f) => `./${f}`)];
    default:
      return [bin("tsx"), "--test", "--test-reporter=tap", ...files];
  }
}

const steps: Step[] = [
  { name: "tsc --noEmit", runtime: "checks", command: [bin("tsc"), "--noEmit", "-p", "."] },
  // The npm build (dist/), fresh every run so it cannot drift from the sources.
  { name: "build (tsc -p tsconfig.build.json)", runtime: "checks", command: ["npm", "run", "--silent", "build"] },
  {
    name: "deno check",
    runtime: "checks",
    command: [
      bin("deno"),
      "check",
      "mod.ts",
      ...adapterFiles,
      ...testFiles("tests/contract"),
      ...testFiles("tests/deno"),
      ...tsFiles("tests/backplane"),
      ...tsFiles("examples/chat"),
      ...tsFiles("tests/e2e"),
      ...tsFiles("bench/servers").filter((file) => file.endsWith("_deno.ts")),
    ],
  },
  { name: "deno doc --lint", runtime: "checks", command: [bin("deno"), "doc", "--lint", "mod.ts", ...adapterFiles] },
  // Every @example of the sources and every code block of the Markdown files type-checks.
  {
    name: "deno check --doc (@example blocks)",
    runtime: "checks",
    command: [bin("deno"), "check", "--doc", "mod.ts", ...tsFiles("src"), ...adapterFiles],
  },
  { name: "doc code blocks (README, docs/)", runtime: "checks", command: [bin("tsx"), "tests/docs/check_doc_blocks.ts"] },
  { name: "docs: stand alone, option defaults", runtime: "node", command: runnerFor("node", testFiles("tests/docs")) },
  {
    name: "deno publish --dry-run",
    runtime: "checks",
    command: [bin("deno"), "publish", "--dry-run", "--allow-dirty"],
  },
  // The packages as users get them: the npm tarball installed outside the repo (node, bun, deno, tsc,
  // publint, attw) and the JSR file set checked and loaded by Deno through deno.json's import map alone.
  { name: "npm and JSR packages", runtime: "node", command: runnerFor("node", testFiles("tests/package")), timeoutMs: 600_000 },
  { name: "unit deno", runtime: "deno", command: runnerFor("deno", testFiles("tests/unit")) },
  { name: "unit bun", runtime: "bun", command: runnerFor("bun", testFiles("tests/unit")) },
  { name: "unit node", runtime: "node", command: runnerFor("node", testFiles("tests/unit")) },
  { name: "deno-only", runtime: "deno", command: runnerFor("deno", testFiles("tests/deno")) },
  { name: "bun-only", runtime: "bun", command: runnerFor("bun", testFiles("tests/bun")) },
  ...contractSteps(),
  // The contract on workerd (Worker alone, Durable Objects, hibernating Durable Objects; two compatibility dates).
  {
    name: "contract cloudflare (workerd)",
    runtime: "node",
    command: runnerFor("node", testFiles("tests/cloudflare")),
    needs: ["adapters/cloudflare.ts"],
  },
  { name: "chat protocol deno", runtime: "deno", command: runnerFor("deno", testFiles("tests/e2e")) },
  { name: "chat protocol bun", runtime: "bun", command: runnerFor("bun", testFiles("tests/e2e")) },
  { name: "chat protocol node", runtime: "node", command: runnerFor("node", testFiles("tests/e2e")) },
  {
    name: "chat in chromium (node, deno, bun, cloudflare)",
    runtime: "browser",
    command: [bin("tsx"), "tests/e2e/chat_e2e.ts"],
    needs: ["tests/e2e/chat_e2e.ts"],
  },
  {
    name: "same transcript on all six adapters",
    runtime: "cross-runtime",
    command: runnerFor("node", testFiles("tests/compare")),
  },
  {
    name: "bench smoke (every bench server starts and answers)",
    runtime: "checks",
    command: [bin("tsx"), "bench/run.ts", "--smoke"],
    needs: ["bench/run.ts"],
  },
  // Topics across processes on a real redis-server (started by the tests; skipped where none is installed).
  ...(["deno", "bun", "node"] as const).map((runtime): Step => ({
    name: `backplane ${runtime}`,
    runtime,
    command: runnerFor(runtime, ["tests/backplane/subscriptions.test.ts"]),
    env: { PLINTH_ADAPTER: runtime },
    needs: ["adapters/redis.ts"],
  })),
  {
    name: "backplane across deno, bun and node processes",
    runtime: "cross-runtime",
    command: runnerFor("node", ["tests/backplane/cross_process.test.ts"]),
    env: { BACKPLANE_MESSAGES: "1000" },
    needs: ["adapters/redis.ts"],
  },
  {
    name: "reusePort: two processes serve one port (deno, bun, node cluster)",
    runtime: "node",
    command: runnerFor("node", testFiles("tests/reuse_port")),
  },
  {
    name: "scale bench smoke (every scale server at 20 connections)",
    runtime: "checks",
    command: [bin("tsx"), "bench/scale.ts", "--smoke"],
    needs: ["bench/scale.ts"],
  },
  { name: "faults deno", runtime: "deno", command: runnerFor("deno", testFiles("tests/faults")) },
  { name: "faults bun", runtime: "bun", command: runnerFor("bun", testFiles("tests/faults")) },
  { name: "faults node", runtime: "node", command: runnerFor("node", testFiles("tests/faults")) },
  // The reliability suite, short sizes (`npm run test:faults` runs it full, on every adapter row).
  ...(["deno", "bun", "node"] as const).map((runtime): Step => ({
    name: `reliability ${runtime}`,
    runtime,
    command: runnerFor(runtime, testFiles("tests/reliability")),
    env: { PLINTH_ADAPTER: runtime },
    timeoutMs: 240_000,
  })),
];

/** Reads the pass/fail counts a test runner printed. */
function countTests(runtime: Runtime, output: string, exitCode: number): Outcome {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  if (runtime === "checks") return exitCode === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
  if (runtime === "browser") {
    if (/^e2e: skipped/m.test(plain)) return { passed: 0, failed: 0 };
    const line = /^e2e: (\d+) passed, (\d+) failed$/m.exec(plain);
    if (line) return { passed: Number(line[1]), failed: Number(line[2]) || (exitCode === 0 ? 0 : 1) };
  }
  if (runtime === "deno") {
    const line = /(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/.exec(plain);
    if (line) {
      const passed = Number(line[2] ?? line[1]);
      const failed = Number(line[4] ?? line[3]);
      return { passed, failed: failed || (exitCode === 0 ? 0 : 1) };
    }
  } else if (runtime === "bun") {
    const pass = /^\s*(\d+) pass$/m.exec(plain);
    const fail = /^\s*(\d+) fail$/m.exec(plain);
    if (pass) return { passed: Number(pass[1]), failed: Number(fail?.[1] ?? 0) || (exitCode === 0 ? 0 : 1) };
  } else {
    // node and cross-runtime: node's test runner, TAP reporter
    const pass = /^# pass (\d+)$/m.exec(plain);
    const fail = /^# fail (\d+)$/m.exec(plain);
    if (pass) return { passed: Number(pass[1]), failed: Number(fail?.[1] ?? 0) || (exitCode === 0 ? 0 : 1) };
  }
  return { passed: 0, failed: 1 };
}

function run(step: Step): Promise<{ output: string; exitCode: number }> {
  return new Promise((resolve) => {
    const [command, ...args] = step.command;
    const child = spawn(command!, args, {
      cwd: root,
      env: { ...process.env, ...step.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      output += `\n[timed out after ${step.timeoutMs ?? 600_000} ms]\n`;
      child.kill("SIGKILL");
    }, step.timeoutMs ?? 600_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ output, exitCode: code ?? 1 });
    });
  });
}

const only = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : undefined;
const verbose = process.argv.includes("--verbose");
const totals = new Map<Runtime, Outcome>();
const failures: string[] = [];

for (const step of steps) {
  if (only !== undefined && !step.name.includes(only)) continue;
  const missing = step.needs?.filter((file) => !existsSync(join(root, file))) ?? [];
  if (missing.length > 0) {
    console.log(`- ${step.name}: skipped (${missing.join(", ")} not present)`);
    continue;
  }
  if (step.command.length <= 4 && step.runtime !== "checks" && !step.command.some((part) => part.endsWith(".ts"))) {
    console.log(`- ${step.name}: no test files`);
    continue;
  }
  const started = Date.now();
  const { output, exitCode } = await run(step);
  const outcome = countTests(step.runtime, output, exitCode);
  if (exitCode !== 0 && outcome.failed === 0) outcome.failed = 1;
  const total = totals.get(step.runtime) ?? { passed: 0, failed: 0 };
  total.passed += outcome.passed;
  total.failed += outcome.failed;
  totals.set(step.runtime, total);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const mark = outcome.failed === 0 ? "ok  " : "FAIL";
  const skipped = /^e2e: skipped.*$/m.exec(output);
  if (skipped) console.log(skipped[0]);
  console.log(`${mark} ${step.name}: ${outcome.passed} passed, ${outcome.failed} failed (${seconds} s)`);
  if (outcome.failed > 0 || verbose) {
    if (outcome.failed > 0) failures.push(step.name);
    console.log(output.split("\n").map((line) => `    | ${line}`).join("\n"));
  }
}

console.log("\nsummary per runtime:");
let passed = 0;
let failed = 0;
for (const [runtime, outcome] of totals) {
  console.log(`  ${runtime}: ${outcome.passed} passed, ${outcome.failed} failed`);
  passed += outcome.passed;
  failed += outcome.failed;
}
if (failures.length > 0) console.log(`failed steps: ${failures.join(", ")}`);
console.log(`total: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
