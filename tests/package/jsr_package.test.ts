/**
 * The JSR package as a Deno user gets it: the files `deno publish` ships
 * (deno.json's `publish.include`), copied outside the repository with no
 * node_modules, type-checked by Deno through deno.json's import map alone
 * (`npm:` specifiers for hono, @hono/node-server, ws, redis …). Deno fetches
 * those packages into its cache on the first run; without a network and an
 * empty cache the test is skipped, saying so.
 *
 * Run: `npx tsx --test tests/package/jsr_package.test.ts`
 * @module
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const deno = join(root, "node_modules", ".bin", "deno");
const config = JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as {
  exports: Record<string, string>;
  publish: { include: string[] };
  nodeModulesDir?: string;
};
/** Entries a Deno user does not import, and why. */
const NOT_FOR_DENO: Record<string, string> = {
  "./bun": "Bun's adapter: its types come from Bun (`bun`), which a Deno project does not have",
};

test("a Deno user of the JSR package type-checks every entry through deno.json's import map", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "plinth-jsr-package-"));
  try {
    for (const path of config.publish.include) cpSync(join(root, path), join(dir, path), { recursive: true });
    // The repository's own deno.json reads node_modules; a user's project does not.
    const { nodeModulesDir: _, ...published } = config;
    writeFileSync(join(dir, "deno.json"), JSON.stringify(published, null, 2));
    const entries = Object.entries(config.exports).filter(([key]) => !(key in NOT_FOR_DENO)).map(([, file]) => file);
    const denoRun = (args: string[]) =>
      new Promise<{ code: number; output: string }>((resolve) => {
        execFile(
          deno,
          args,
          { cwd: dir, timeout: 300_000, killSignal: "SIGKILL", env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 32 * 1024 * 1024 },
          (error, stdout, stderr) =>
            resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, output: `${stdout}${stderr}` }),
        );
      });
    const checked = await denoRun(["check", "--node-modules-dir=none", ...entries]);
    if (checked.code !== 0 && /error sending request|dns error|failed to lookup address|Connection refused|timed out/i.test(checked.output)) {
      t.skip("the npm packages are not in Deno's cache and the registry is unreachable");
      return;
    }
    assert.equal(checked.code, 0, checked.output);
    // Loading each entry resolves its imports for running too (type-only imports aside).
    writeFileSync(join(dir, "load.ts"), `${entries.map((file) => `await import("${file}");`).join("\n")}\nconsole.log("loaded");\n`);
    const loaded = await denoRun(["run", "-A", "--node-modules-dir=none", "load.ts"]);
    assert.equal(loaded.code, 0, loaded.output);
    assert.match(loaded.output, /^loaded$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
