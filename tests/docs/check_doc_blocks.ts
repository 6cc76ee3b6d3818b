/**
 * Type-checks every TypeScript and JavaScript code block of the project's
 * Markdown files (README.md, docs/, and any other `.md` outside
 * node_modules): each block is written to its own file under `tmp/doc_blocks/`
 * and all of them go through one `deno check`. Imports of
 * `@plinth/websocket` and its entry points resolve to the sources (deno.json's
 * `name` and `exports`), `hono`, `ws`, `bun` … to node_modules. JavaScript
 * blocks are checked too (`// @ts-check`). A block whose info string says
 * `ignore` (```` ```ts ignore ````) is skipped and counted.
 *
 * New Markdown files are picked up by themselves. Exits non-zero on a type
 * error, naming the file and line of the block.
 *
 * Run: `npx tsx tests/docs/check_doc_blocks.ts`
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const root = new URL("../..", import.meta.url).pathname;
const out = join(root, "tmp", "doc_blocks");
const skipDirs = new Set(["node_modules", "dist", "tmp", ".git"]);

function markdownFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name) && !entry.name.startsWith(".")) found.push(...markdownFiles(join(dir, entry.name)));
    } else if (entry.name.endsWith(".md")) {
      found.push(join(dir, entry.name));
    }
  }
  return found.sort();
}

const languages: Record<string, "ts" | "mjs"> = { ts: "ts", typescript: "ts", js: "mjs", javascript: "mjs", mjs: "mjs" };

interface Block {
  source: string;
  line: number;
  file: string;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const blocks: Block[] = [];
let ignored = 0;
for (const path of markdownFiles(root)) {
  const source = relative(root, path);
  const lines = readFileSync(path, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang, rest] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence!)) end++;
    const extension = languages[lang!.toLowerCase()];
    if (extension !== undefined) {
      if (/\bignore\b/.test(rest!)) {
        ignored++;
      } else {
        const body = lines.slice(i + 1, end).map((line) => line.startsWith(indent!) ? line.slice(indent!.length) : line);
        const file = join(out, `${source.replace(/[/.]/g, "_")}_L${i + 1}.${extension}`);
        writeFileSync(file, `${extension === "mjs" ? "// @ts-check\n" : ""}${body.join("\n")}\n`);
        blocks.push({ source, line: i + 1, file });
      }
    }
    i = end;
  }
}

if (blocks.length === 0) {
  console.error("no TypeScript or JavaScript code blocks found: the extraction is broken");
  process.exit(1);
}
const checked = spawnSync(join(root, "node_modules", ".bin", "deno"), ["check", ...blocks.map((block) => block.file)], {
  cwd: root,
  encoding: "utf8",
  env: { ...process.env, NO_COLOR: "1" },
});
const output = `${checked.stdout}${checked.stderr}`;
const sources = new Set(blocks.map((block) => block.source));
console.log(`${blocks.length} code blocks from ${sources.size} Markdown files${ignored > 0 ? ` (${ignored} marked ignore)` : ""}`);
if (checked.status !== 0) {
  // Name each failing block by its Markdown file and line.
  const errors = output.split("\n").filter((line) => !/^Warning|^\s+at file:\/\/\/.*node_modules/.test(line));
  let report = errors.join("\n");
  for (const block of blocks) report = report.replaceAll(`file://${block.file}`, `${block.source} (block at line ${block.line})`);
  console.error(report);
  process.exit(1);
}
console.log("all type-check");
