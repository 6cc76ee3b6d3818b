/**
 * Hono on Node: `@hono/node-server` v2's built-in `upgradeWebSocket`, with
 * `serve({ fetch, websocket: { server: new WebSocketServer({ noServer: true }) } })` (not the
 * deprecated `@hono/node-ws`); same application logic as `native_node.ts`.
 * Run: `node --import tsx bench/servers/hono_node.ts`.
 */
import { serve, upgradeWebSocket } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import { Hono } from "hono";
import type { WSContext } from "hono/ws";
import { WebSocketServer } from "ws";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

const OPEN = 1;
/** Keyed on the raw socket, as on Bun where Hono builds a new `WSContext` per event. */
const room = new Map<unknown, WSContext>();
const app = new Hono();

app.get(STATS_PATH, () => statsResponse());
app.get(
  "/echo",
  upgradeWebSocket(() => ({
    onMessage(event, ws) {
      ws.send(event.data as string | ArrayBuffer);
    },
  })),
);
app.get(
  "/chat",
  upgradeWebSocket(() => ({
    onOpen(_event, ws) {
      room.set(ws.raw, ws);
    },
    onClose(_event, ws) {
      room.delete(ws.raw);
    },
    onMessage(event, _ws) {
      const data = event.data as string | ArrayBuffer;
      for (const peer of room.values()) if (peer.readyState === OPEN) peer.send(data);
    },
  })),
);

const server = serve(
  { fetch: app.fetch, hostname: "127.0.0.1", port: 0, websocket: { server: new WebSocketServer({ noServer: true }) } },
  (info: AddressInfo) => announce(info.port),
);
exitWithParent(() => server.close());
