/**
 * A tiny static file handler for the chat demo's page, used as the adapters'
 * `fallback`. Files are read with `node:fs/promises`, which Node, Deno and Bun
 * all provide.
 *
 * @module
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { resolve, sep } from "node:path";
import type { Fallback } from "../../mod.ts";
import { CONTENT_TYPES, SECURITY_HEADERS } from "./page_headers.ts";

const plain = (status: number, text: string, extra: Record<string, string> = {}): Response =>
  new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS, ...extra },
  });

/**
 * Serves the files under `root` (a directory URL): `/` is `index.html`; only
 * `GET` and `HEAD`; paths that try to leave `root`, hidden files and unknown
 * extensions get 404.
 *
 * @example
 * ```ts
 * import { staticFiles } from "./static_files.ts";
 * const fallback = staticFiles(new URL("./public/", import.meta.url));
 * const response = await fallback(new Request("http://127.0.0.1/"));
 * ```
 */
export function staticFiles(root: URL): Fallback {
  const rootPath = resolve(fileURLToPath(root.href));
  return async (request) => {
    if (request.method !== "GET" && request.method !== "HEAD") {
      return plain(405, "Method Not Allowed", { allow: "GET, HEAD" });
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url).pathname);
    } catch {
      return plain(400, "Bad Request");
    }
    if (pathname.endsWith("/")) pathname += "index.html";
    const segments = pathname.split("/").filter((s) => s !== "");
    if (segments.some((s) => s.startsWith(".") || s.includes("\\") || s.includes("\0"))) {
      return plain(404, "Not Found");
    }
    const file = resolve(rootPath, ...segments);
    if (!file.startsWith(rootPath + sep)) return plain(404, "Not Found");
    const extension = file.slice(file.lastIndexOf("."));
    const type = CONTENT_TYPES[extension];
    if (type === undefined) return plain(404, "Not Found");
    let body: Uint8Array;
    try {
      body = await readFile(file);
    } catch {
      return plain(404, "Not Found");
    }
    const headers = {
      "content-type": type,
      "content-length": String(body.byteLength),
      "cache-control": "no-cache",
      ...SECURITY_HEADERS,
    };
    return new Response(request.method === "HEAD" ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers });
  };
}
