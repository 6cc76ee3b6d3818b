/**
 * `npm run test:faults`: the reliability suite at full size on the deno, bun
 * and node adapters (and at short size on the three Hono rows), one adapter
 * row after another; prints the results as tables, and with `--write` writes
 * them into `docs/reliability.md` between its results markers (a plain run
 * leaves the tree clean). Exits non-zero when a test failed.
 *
 * `tsx tests/reliability/run_faults.ts [--short] [--rows deno,node] [--write]`
 * @module
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

type Runtime = "deno" | "bun" | "node";
interface Row {
  readonly runtime: Runtime;
  readonly adapter: string;
  readonly full: boolean;
}

const root = new URL("../..", import.meta.url).pathname;
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const files = readdirSync(join(root, "tests/reliability")).filter((f) => f.endsWith(".test.ts")).sort()
  .map((f) => join("tests/reliability", f));
const arg = (name: string): string | undefined =>
  process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : undefined;
const short = process.argv.includes("--short");
const only = arg("rows")?.split(",");

const ROWS: Row[] = ([
  ["deno", "deno", true],
  ["bun", "bun", true],
  ["node", "node", true],
  ["deno", "hono-deno", false],
  ["bun", "hono-bun", false],
  ["node", "hono-node", false],
] as const).map(([runtime, adapter, full]) => ({ runtime, adapter, full: full && !short }))
  .filter((row) => only === undefined || only.includes(row.adapter));

function command(runtime: Runtime): string[] {
  switch (runtime) {
    case "deno":
      return [bin("deno"), "test", "-A", "--no-check", ...files];
    case "bun":
      return [bin("bun"), "test", "--timeout", "1800000", ...files.map((f) => `./${f}`)];
    case "node":
      return [bin("tsx"), "--test", "--test-reporter=tap", "--test-concurrency=1", ...files];
  }
}

/** Passed and failed tests, as each runner prints them. */
function count(runtime: Runtime, output: string): { passed: number; failed: number; todo: number } {
  const plain = output.replace(/\x1b\[[0-9;]*m/g, "");
  if (runtime === "deno") {
    const m = /(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?(?: \| (\d+) ignored)?/.exec(plain);
    return { passed: Number(m?.[2] ?? m?.[1] ?? 0), failed: Number(m?.[4] ?? m?.[3] ?? 1), todo: Number(m?.[5] ?? 0) };
  }
  if (runtime === "bun") {
    const n = (label: string): number => Number(new RegExp(`^\\s*(\\d+) ${label}$`, "m").exec(plain)?.[1] ?? 0);
    return { passed: n("pass"), failed: n("fail"), todo: n("todo") };
  }
  const n = (label: string): number => Number(new RegExp(`^# ${label} (\\d+)$`, "m").exec(plain)?.[1] ?? 0);
  return { passed: n("pass"), failed: n("fail"), todo: n("todo") };
}

function run(row: Row, out: string): Promise<{ output: string; code: number; seconds: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const [cmd, ...args] = command(row.runtime);
    const child = spawn(cmd!, args, {
      cwd: root,
      env: {
        ...process.env,
        PLINTH_ADAPTER: row.adapter,
        PLINTH_FAULTS_FULL: row.full ? "1" : "0",
        PLINTH_RELIABILITY_OUT: out,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    child.stderr.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60 * 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ output, code: code ?? 1, seconds: Math.round((Date.now() - started) / 100) / 10 });
    });
  });
}

interface Recorded {
  adapter: string;
  full: boolean;
  fault: string;
  numbers: Record<string, number | string | boolean>;
}

/** One markdown table per fault: a row per adapter, a column per number. */
function tables(records: Recorded[]): string {
  const faults = [...new Set(records.map((r) => r.fault))];
  const parts: string[] = [];
  for (const fault of faults) {
    const rows = records.filter((r) => r.fault === fault);
    const keys = [...new Set(rows.flatMap((r) => Object.keys(r.numbers)))];
    parts.push(`### ${fault}\n`);
    parts.push(`| adapter | run | ${keys.join(" | ")} |`);
    parts.push(`| --- | --- | ${keys.map(() => "---").join(" | ")} |`);
    for (const r of rows) {
      const cells = keys.map((k) => String(r.numbers[k] ?? "").replaceAll("|", "\\|"));
      parts.push(`| ${r.adapter} | ${r.full ? "full" : "short"} | ${cells.join(" | ")} |`);
    }
    parts.push("");
  }
  return parts.join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "plinth-faults-"));
const summary: string[] = ["| adapter | run | passed | failed | todo (known limits) | seconds |", "| --- | --- | --- | --- | --- | --- |"];
let failedTotal = 0;
const records: Recorded[] = [];
const began = Date.now();
try {
  for (const row of ROWS) {
    const out = join(dir, `${row.adapter}.jsonl`);
    console.log(`- ${row.adapter} (${row.full ? "full" : "short"}) …`);
    const { output, code, seconds } = await run(row, out);
    const counted = count(row.runtime, output);
    if (code !== 0 && counted.failed === 0) counted.failed = 1;
    failedTotal += counted.failed;
    summary.push(`| ${row.adapter} | ${row.full ? "full" : "short"} | ${counted.passed} | ${counted.failed} | ${counted.todo} | ${seconds} |`);
    console.log(`  ${counted.failed === 0 ? "ok" : "FAIL"}: ${counted.passed} passed, ${counted.failed} failed, ${counted.todo} todo (${seconds} s)`);
    if (counted.failed > 0) console.log(output.split("\n").map((line) => `    | ${line}`).join("\n"));
    if (existsSync(out)) {
      for (const line of readFileSync(out, "utf8").split("\n")) if (line.trim() !== "") records.push(JSON.parse(line) as Recorded);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const versions = (name: string, args: string[]): Promise<string> =>
  new Promise((resolve) => {
    const child = spawn(bin(name), args, { stdio: ["ignore", "pipe", "ignore"] });
    let text = "";
    child.stdout.on("data", (chunk: Uint8Array) => (text += new TextDecoder().decode(chunk)));
    child.on("close", () => resolve(text.split("\n")[0]!.trim()));
  });
const machine = `${cpus().length} CPUs; Node ${process.version}, ${await versions("deno", ["--version"])}, Bun ${await versions("bun", ["--version"])}`;
const shownArgs = process.argv.slice(2).filter((arg) => arg !== "--write");
const invocation = `npm run test:faults${shownArgs.length > 0 ? ` -- ${shownArgs.join(" ")}` : ""}`;
const generated = [
  `Produced by \`${invocation}\` (\`tsx tests/reliability/run_faults.ts\`) on ${new Date(began).toISOString().slice(0, 16)}Z, ` +
  `${Math.round((Date.now() - began) / 1000)} s in all; ${machine}.`,
  "",
  "### tests per adapter row",
  "",
  ...summary,
  "",
  tables(records),
].join("\n");
console.log(`\n${generated}`);

if (process.argv.includes("--write")) {
  const docPath = join(root, "docs/reliability.md");
  const START = "<!-- results:start -->";
  const END = "<!-- results:end -->";
  const doc = existsSync(docPath) ? readFileSync(docPath, "utf8") : `# Reliability\n\n${START}\n${END}\n`;
  const before = doc.slice(0, doc.indexOf(START) + START.length);
  const after = doc.slice(doc.indexOf(END));
  writeFileSync(docPath, `${before}\n${generated}\n${after}`);
  console.log(`written to docs/reliability.md`);
} else {
  console.log("docs/reliability.md left as it is (`npm run test:faults -- --write` updates it)");
}
console.log(failedTotal === 0 ? "all reliability tests passed" : `${failedTotal} reliability tests failed`);
process.exit(failedTotal === 0 ? 0 : 1);
