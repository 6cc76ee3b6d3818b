/**
 * The contract suite's `serve` for the Hono route adapter on Deno: a Hono app
 * with `mount` and `hono/deno`'s `upgradeWebSocket`, served by `Deno.serve`.
 * @module
 */
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";
import { mount } from "../../adapters/hono.ts";
import { serverUrl, settleServeOptions, shutdownOnAbort } from "../../src/serve.ts";
import type { ShutdownOptions } from "../../src/server_scope.ts";

/** Serves `container` through Hono on Deno. */
export function serve(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  const settled = settleServeOptions(options);
  const app = new Hono();
  const sockets = mount(app, container, upgradeWebSocket);
  const fallback = settled.fallback;
  app.all("*", (c) => fallback === undefined ? c.text("Not Found", 404) : fallback(c.req.raw));
  const abort = new AbortController();
  return new Promise((resolve) => {
    const server = Deno.serve({
      port: settled.port,
      hostname: settled.hostname,
      signal: abort.signal,
      onListen: ({ port }) => {
        let stopping: Promise<void> | undefined;
        const shutdown = (opts?: ShutdownOptions) =>
          stopping ??= (async () => {
            await sockets.shutdown(opts);
            abort.abort();
            await server.finished;
          })();
        shutdownOnAbort(settled.signal, () => shutdown());
        resolve({ port, url: serverUrl(settled.hostname, port), shutdown });
      },
    }, app.fetch);
  });
}
