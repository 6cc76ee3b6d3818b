/**
 * The contract suite's `serve` for the Hono route adapter on Node: a Hono app
 * with `mount` and `@plinth/websocket/node`'s `upgradeWebSocket` (node-server's,
 * plus subprotocol control), served by `@hono/node-server` with the
 * `WebSocketServer` from `createWebSocketServer` and refusals kept intact.
 * @module
 */
import { Hono } from "hono";
import { serve as nodeServe } from "@hono/node-server";
import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";
import { mount } from "../../adapters/hono.ts";
import { answerOtherUpgrades, createWebSocketServer, upgradeWebSocket, withIntactRefusals } from "../../adapters/node.ts";
import type { NodeBindings } from "../../adapters/node.ts";
import { serverUrl, settleServeOptions, shutdownOnAbort } from "../../src/serve.ts";
import type { ShutdownOptions } from "../../src/server_scope.ts";

/** Serves `container` through Hono on Node. */
export function serve(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  const settled = settleServeOptions(options);
  const app = new Hono<{ Bindings: NodeBindings }>();
  const sockets = mount(app, container, upgradeWebSocket);
  const fallback = settled.fallback;
  app.all("*", (c) => fallback === undefined ? c.text("Not Found", 404) : fallback(c.req.raw));
  const fetch = withIntactRefusals((request: Request, env: NodeBindings) => app.fetch(request, env));
  return new Promise((resolve, reject) => {
    const server = nodeServe({
      fetch: fetch as (request: Request, env: unknown) => Promise<Response>,
      hostname: settled.hostname,
      port: settled.port,
      websocket: { server: createWebSocketServer(container) },
    }, (info) => {
      server.off("error", reject);
      let stopping: Promise<void> | undefined;
      const shutdown = (opts?: ShutdownOptions) =>
        stopping ??= (async () => {
          await sockets.shutdown(opts);
          await new Promise<void>((done) => {
            server.close(() => done());
            if ("closeAllConnections" in server) server.closeAllConnections();
          });
        })();
      shutdownOnAbort(settled.signal, () => shutdown());
      resolve({ port: info.port, url: serverUrl(settled.hostname, info.port), shutdown });
    });
    server.once("error", reject);
    answerOtherUpgrades(server, fetch);
  });
}
