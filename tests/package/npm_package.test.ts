/**
 * The npm package as a user installs it: `npm pack` (which builds `dist/`
 * at `prepack`), the tarball and its peer dependencies installed into a
 * scratch project outside the repository, then each runtime imports the
 * installed package with no TypeScript loader and serves an echo endpoint,
 * a TypeScript consumer type-checks every entry point of the `exports` map
 * under `nodenext` and `bundler` with the package's own `.d.ts` (no
 * `skipLibCheck`), and publint and arethetypeswrong lint the tarball.
 *
 * Every entry of `package.json`'s `exports` is tested: a new adapter entry
 * gets its type check, publint and attw runs without a change here.
 *
 * Run: `npx tsx --test tests/package/npm_package.test.ts`
 * @module
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;
const bin = (name: string): string => join(root, "node_modules", ".bin", name);
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  peerDependencies: Record<string, string>;
};
/** The import specifiers of every entry point: `@plinth/websocket`, `@plinth/websocket/node`, … */
const entries = Object.keys(pkg.exports)
  .filter((key) => key !== "./package.json")
  .map((key) => (key === "." ? pkg.name : `${pkg.name}/${key.slice(2)}`));
/**
 * Consumers whose setup differs from a Node project's (`types: ["node"]`, `@types/node` 20): a Bun
 * project has `@types/bun`, which brings the `@types/node` it needs. Other entries use the Node project.
 */
const consumers: Record<string, { project: string; types: string[]; install: string[] }> = {
  [`${pkg.name}/bun`]: { project: "project_bun", types: ["bun"], install: ["@types/bun"] },
};

/** The version installed in the repository, so the scratch install is served from npm's cache. */
const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;

interface Ran {
  code: number | null;
  output: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs = 120_000, env?: Record<string, string>): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 32 * 1024 * 1024, env: { ...process.env, NO_COLOR: "1", ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function mustRun(command: string, args: string[], cwd: string, timeoutMs?: number): Promise<string> {
  const ran = await run(command, args, cwd, timeoutMs);
  assert.equal(ran.code, 0, `${command} ${args.join(" ")} failed:\n${ran.output}`);
  return ran.output;
}

let scratch = "";
let tarball = "";

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "plinth-npm-package-"));
  await mustRun("npm", ["pack", "--pack-destination", scratch], root, 180_000);
  const filename = readdirSync(scratch).find((file) => file.endsWith(".tgz"));
  assert.ok(filename !== undefined, "npm pack wrote no tarball");
  tarball = join(scratch, filename);
  const install = async (dir: string, packages: string[]): Promise<void> => {
    mkdirSync(join(scratch, dir));
    const manifest = { name: dir.replace("_", "-"), private: true, type: "module" };
    writeFileSync(join(scratch, dir, "package.json"), JSON.stringify(manifest, null, 2));
    const specs = packages.map((name) => `${name}@${installedVersion(name)}`);
    const flags = ["--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"];
    await mustRun("npm", ["install", ...flags, tarball, ...specs], join(scratch, dir), 300_000);
  };
  const others = Object.values(consumers).map((consumer) => install(consumer.project, consumer.install));
  await Promise.all([install("project", [...Object.keys(pkg.peerDependencies), "@types/node", "@types/ws"]), ...others]);
});

after(() => {
  if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
});

const project = (): string => join(scratch, "project");

/** A server on the installed package that echoes one message to a client and exits 0. */
function echoScript(adapter: string, client: "ws" | "global"): string {
  return `import { addEndpoint, createContainer } from "${pkg.name}";
import { serve } from "${pkg.name}/${adapter}";
${client === "ws" ? 'import WebSocket from "ws";' : ""}
const timer = setTimeout(() => { console.error("timed out"); process.exit(1); }, 15000);
const container = createContainer();
addEndpoint(container, "/echo", {
  onOpen: (session) => session,
  onText: (session, text) => void session.asyncRemote.sendText(text),
});
const server = await serve(container, { port: 0 });
const socket = new WebSocket(server.url.replace("http", "ws") + "/echo");
const echoed = await new Promise((resolve, reject) => {
  socket.onopen = () => socket.send("hello from ${adapter}");
  socket.onmessage = (event) => resolve(String(event.data));
  socket.onerror = () => reject(new Error("client error"));
});
socket.close();
await server.shutdown();
clearTimeout(timer);
console.log("echo: " + echoed);
`;
}

async function echoes(runtime: string[], adapter: string, client: "ws" | "global"): Promise<void> {
  const file = `echo_${adapter}.mjs`;
  writeFileSync(join(project(), file), echoScript(adapter, client));
  const ran = await run(runtime[0]!, [...runtime.slice(1), file], project(), 60_000);
  assert.equal(ran.code, 0, ran.output);
  assert.match(ran.output, new RegExp(`^echo: hello from ${adapter}$`, "m"));
}

test("package.json and deno.json export the same entry points, dist/ built from the sources JSR ships", () => {
  const jsr = (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { exports: Record<string, string> }).exports;
  const npmEntries = Object.entries(pkg.exports).filter(([key]) => key !== "./package.json");
  assert.deepEqual(npmEntries.map(([key]) => key).sort(), Object.keys(jsr).sort());
  for (const [key, target] of npmEntries) {
    const source = jsr[key]!.replace(/\.ts$/, "");
    const built = source.replace(/^\.\//, "./dist/");
    assert.deepEqual(target, { types: `${built}.d.ts`, default: `${built}.js` }, `exports["${key}"]`);
    assert.deepEqual(Object.keys(target as object)[0], "types", `exports["${key}"] lists types first`);
  }
});

test("the tarball ships the build, its declarations and maps, and the sources the maps point to", () => {
  const files = new Set(
    readdirSync(join(project(), "node_modules", pkg.name), { recursive: true, encoding: "utf8" })
      .filter((file) => statSync(join(project(), "node_modules", pkg.name, file)).isFile()),
  );
  for (const file of ["dist/mod.js", "dist/mod.d.ts", "dist/mod.js.map", "dist/mod.d.ts.map", "mod.ts", "README.md", "LICENSE"]) {
    assert.ok(files.has(file), `${file} missing from the package`);
  }
  for (const map of [...files].filter((file) => file.endsWith(".map"))) {
    const { sources } = JSON.parse(readFileSync(join(project(), "node_modules", pkg.name, map), "utf8")) as { sources: string[] };
    for (const source of sources) {
      const shipped = relative(".", join(map, "..", source));
      assert.ok(files.has(shipped), `${map} points at ${shipped}, which is not in the package`);
    }
  }
  assert.ok(![...files].some((file) => file.startsWith("tests/") || file.startsWith("bench/")), "tests or bench shipped");
});

test("plain node (no loader) serves an endpoint with /node; a ws client gets its echo", async () => {
  await echoes(["node"], "node", "ws");
});

test("bun serves an endpoint with /bun from the installed package", async () => {
  await echoes([bin("bun")], "bun", "global");
});

test("deno serves an endpoint with /deno through the npm package (nodeModulesDir)", async () => {
  await echoes([bin("deno"), "run", "-A", "--node-modules-dir=manual"], "deno", "global");
});

test("README's Node example runs with plain node as a .mjs file", async () => {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((code) =>
    code.includes(`${pkg.name}/node`)
  );
  assert.ok(block !== undefined, "README has no ```js block using the Node adapter");
  writeFileSync(join(project(), "readme_server.mjs"), block);
  // The example listens until stopped: wait for its line, connect with ws, then stop it.
  const { spawn } = await import("node:child_process");
  const child = spawn("node", ["readme_server.mjs"], { cwd: project(), env: { ...process.env, PORT: "0" }, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let output = "";
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line:\n${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const found = /(http:\/\/[^\s/]+)/.exec(output);
        if (found) {
          clearTimeout(timer);
          resolve(found[1]!);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code) => reject(new Error(`exited with ${code}:\n${output}`)));
    });
    writeFileSync(
      join(project(), "readme_client.mjs"),
      `import WebSocket from "ws";
const socket = new WebSocket(process.argv[2]);
socket.on("open", () => socket.send("hi"));
socket.on("message", (data) => { console.log("echo: " + data); socket.close(); });
socket.on("error", (error) => { console.error(error); process.exit(1); });
setTimeout(() => process.exit(1), 10000).unref();
`,
    );
    const path = /```js\n[\s\S]*?addEndpoint\(container, "([^"]+)"/.exec(readme)?.[1] ?? "/echo";
    const ran = await run("node", ["readme_client.mjs", `${url.replace("http", "ws")}${path}`], project(), 20_000);
    assert.equal(ran.code, 0, ran.output);
    assert.match(ran.output, /^echo: hi$/m);
  } finally {
    child.kill("SIGKILL");
  }
});

for (const resolution of ["nodenext", "bundler"] as const) {
  test(`TypeScript consumer, moduleResolution ${resolution}, strict, no skipLibCheck: every entry point`, async () => {
    const failures: string[] = [];
    for (const entry of entries) {
      const consumer = consumers[entry];
      const dir = join(scratch, consumer?.project ?? "project", `ts_${resolution}`);
      mkdirSync(dir, { recursive: true });
      const name = entry === pkg.name ? "root" : entry.slice(pkg.name.length + 1);
      const file = `entry_${name}.ts`;
      writeFileSync(
        join(dir, file),
        `import * as entry from "${entry}";\nexport const names: string[] = Object.keys(entry);\n` +
          (entry === pkg.name ? usage : ""),
      );
      const config = {
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: "ES2022",
          module: resolution === "nodenext" ? "NodeNext" : "ESNext",
          moduleResolution: resolution,
          lib: ["ES2022"],
          types: consumer?.types ?? ["node"],
          skipLibCheck: false,
        },
        files: [file],
      };
      writeFileSync(join(dir, `tsconfig.${name}.json`), JSON.stringify(config, null, 2));
      const ran = await run(bin("tsc"), ["-p", `tsconfig.${name}.json`], dir, 120_000);
      if (ran.code !== 0) failures.push(`${entry}:\n${ran.output}`);
    }
    assert.deepEqual(failures, []);
  });
}

/** A consumer of the root entry with the Node adapter, as a TypeScript user writes one. */
const usage = `
import { addEndpoint, CloseCodes, createContainer, onOpenStartWsConnection, wsSendAsync } from "${pkg.name}";
import type { EndpointMap, SendChannel, SendResult, Session } from "${pkg.name}";
import { serve } from "${pkg.name}/node";

const chat: EndpointMap<SendChannel> = {
  onOpen: onOpenStartWsConnection({ sendBufferSize: 16 }),
  onText: (channel, text) => void channel.put([text, (result: SendResult) => void result]),
  onClose: (_channel, session: Session, reason) => void (reason.code === CloseCodes.NORMAL_CLOSURE && session.id),
};
const container = createContainer({ defaultMaxIdleTimeoutMs: 60_000 });
addEndpoint(container, "/chat/{room}", chat);
addEndpoint(container, "/raw", { onOpen: (session) => session, onText: (session, text) => void wsSendAsync(text, session.asyncRemote) });
export const server: Promise<{ port: number; url: string }> = serve(container, { port: 0 });
`;

test("publint reports no problem (strict)", async () => {
  const ran = await run(bin("publint"), ["run", tarball, "--strict"], project(), 120_000);
  assert.equal(ran.code, 0, ran.output);
  assert.doesNotMatch(ran.output, /warning|error|suggestion/i, ran.output);
});

test("arethetypeswrong reports no problem (ESM-only profile)", async () => {
  // The attw CLI cannot read tarballs with fflate 0.8.3 (arethetypeswrong.github.io#262): its
  // checker runs here on the files of the same tarball, unpacked by tar.
  const unpacked = join(scratch, "unpacked");
  mkdirSync(unpacked, { recursive: true });
  await mustRun("tar", ["xzf", tarball, "-C", unpacked], scratch);
  const core = await import("@arethetypeswrong/core");
  const files: Record<string, Uint8Array> = {};
  const base = join(unpacked, "package");
  for (const file of readdirSync(base, { recursive: true, encoding: "utf8" })) {
    if (!statSync(join(base, file)).isFile()) continue;
    files[`/node_modules/${pkg.name}/${file}`] = new Uint8Array(readFileSync(join(base, file)));
  }
  const analysis = await core.checkPackage(new core.Package(files, pkg.name, pkg.version));
  assert.ok(analysis.types !== false, "attw found no types");
  const checked = Object.keys(analysis.entrypoints);
  for (const entry of Object.keys(pkg.exports)) assert.ok(checked.includes(entry), `attw did not check ${entry}`);
  // ESM only: the CommonJS resolutions (node10, node16 from CJS) do not apply.
  const problems = analysis.problems.filter((problem) =>
    !("resolutionKind" in problem) || !["node10", "node16-cjs"].includes(problem.resolutionKind)
  );
  assert.deepEqual(problems, []);
});
