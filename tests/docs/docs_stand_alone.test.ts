/**
 * The repository documents itself: no file points at a design document or a
 * path outside the repository, and no public JSDoc speaks of "the seed" (the
 * docs name Pedestal, the origin, instead).
 *
 * Run: `npx tsx --test tests/docs/docs_stand_alone.test.ts`
 * @module
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const skipDirs = new Set(["node_modules", "dist", "tmp", ".git"]);
const textFile = /\.(ts|mjs|js|md|json)$/;
const self = relative(root, new URL(import.meta.url).pathname);

function files(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (!skipDirs.has(entry.name) && !entry.name.startsWith(".")) found.push(...files(join(dir, entry.name)));
    } else if (textFile.test(entry.name) && entry.name !== "package-lock.json") {
      found.push(relative(root, join(dir, entry.name)));
    }
  }
  return found;
}

/** `file:line: text` for each line of `paths` that matches `pattern`. */
function hits(paths: string[], pattern: RegExp): string[] {
  const out: string[] = [];
  for (const path of paths) {
    readFileSync(join(root, path), "utf8").split("\n").forEach((line, i) => {
      if (pattern.test(line)) out.push(`${path}:${i + 1}: ${line.trim()}`);
    });
  }
  return out;
}

test("no file points at a design document or a path outside the repository", () => {
  const all = files(root).filter((path) => path !== self);
  assert.ok(all.length > 20, "the walk found the repository's files");
  assert.deepEqual(hits(all, /DESIGN(\.md| §)|shared\/DESIGN|\/work\/|\]\(\.\.\/\.\.\/\.\.\//), []);
});

test("no JSDoc of the published sources speaks of the seed", () => {
  const published = files(root).filter((path) => /^(mod\.ts|src\/|adapters\/)/.test(path));
  assert.ok(published.includes("mod.ts"), "the walk found mod.ts");
  assert.deepEqual(hits(published, /\bthe seed\b|\bseed's\b/i), []);
});
