/**
 * The contract suite's `serve` for the Hono route adapter on Bun: a Hono app
 * with `mount` and `hono/bun`'s `upgradeWebSocket` and `websocket`, served by
 * `Bun.serve` with Bun's own limits out of the core's way.
 * @module
 */
import { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";
import { mount, withHeartbeat } from "../../adapters/hono.ts";
import { runtimeMessageLimit, serverUrl, settleServeOptions, shutdownOnAbort } from "../../src/serve.ts";
import type { ShutdownOptions } from "../../src/server_scope.ts";

/** Serves `container` through Hono on Bun. */
export function serve(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  const settled = settleServeOptions(options);
  const app = new Hono();
  const sockets = mount(app, container, upgradeWebSocket);
  const fallback = settled.fallback;
  app.all("*", (c) => fallback === undefined ? c.text("Not Found", 404) : fallback(c.req.raw));
  const server = Bun.serve({
    port: settled.port,
    hostname: settled.hostname,
    fetch: app.fetch,
    websocket: {
      ...withHeartbeat(websocket),
      idleTimeout: 0,
      sendPings: false,
      maxPayloadLength: runtimeMessageLimit(container),
      backpressureLimit: 0xffffffff,
      closeOnBackpressureLimit: false,
      perMessageDeflate: false,
    },
  });
  const port = server.port ?? settled.port;
  let stopping: Promise<void> | undefined;
  const shutdown = (opts?: ShutdownOptions) =>
    stopping ??= (async () => {
      await sockets.shutdown(opts);
      // As adapters/bun.ts: stop listening, let the close frames drain; a connection left over is dropped later.
      void server.stop(false);
      setTimeout(() => void server.stop(true), opts?.timeoutMs ?? 5000).unref();
    })();
  shutdownOnAbort(settled.signal, () => shutdown());
  return Promise.resolve({ port, url: serverUrl(settled.hostname, port), shutdown });
}
