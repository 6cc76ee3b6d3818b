/**
 * The chat demo on workerd, locally (`npm run start:cloudflare`): bundles
 * `worker.ts` with esbuild and serves it with Miniflare on 127.0.0.1 (`PORT`,
 * default 8080; 0 = any free port), the page's files handed to the Worker as
 * a binding. Nothing is fetched from the network. SIGINT/SIGTERM stop it.
 * @module
 */
import { build } from "esbuild";
import { Miniflare, supportedCompatibilityDate } from "miniflare";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parsePort } from "./start_chat.ts";

let port: number;
try {
  port = parsePort(process.env.PORT);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const hostname = process.env.HOST || "127.0.0.1";

const bundled = await build({
  entryPoints: [fileURLToPath(new URL("./worker.ts", import.meta.url).href)],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  write: false,
  logLevel: "silent",
});
const publicDir = fileURLToPath(new URL("./public/", import.meta.url).href);
const pages: Record<string, string> = {};
for (const name of await readdir(publicDir)) pages[`/${name}`] = await readFile(join(publicDir, name), "utf8");

const mf = new Miniflare({
  modules: true,
  script: bundled.outputFiles[0]!.text,
  compatibilityDate: supportedCompatibilityDate,
  durableObjects: { ROOMS: "ChatRoom" },
  bindings: { PAGES: JSON.stringify(pages) },
  port,
  host: hostname,
  cf: false,
});
let url: URL;
try {
  url = await mf.ready;
} catch (error) {
  await mf.dispose();
  throw error;
}
console.log(`plinth chat (cloudflare, workerd ${supportedCompatibilityDate}) listening on ${url.origin}`);

let stopping = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  // Miniflare's own signal hook exits at once with 128 + signal; this one disposes workerd first.
  process.removeAllListeners(signal);
  process.on(signal, () => {
    if (stopping) process.exit(130);
    stopping = true;
    console.log(`${signal}: shutting down`);
    mf.dispose().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", error);
        process.exit(1);
      },
    );
  });
}
