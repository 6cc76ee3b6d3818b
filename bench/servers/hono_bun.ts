/**
 * Hono on Bun: `upgradeWebSocket` and `websocket` from `hono/bun` under `Bun.serve`, same
 * application logic as `native_bun.ts` (echo; chat loop over the room's open sockets; `/stats`).
 * Run: `bun bench/servers/hono_bun.ts`.
 */
import { Hono } from "hono";
import { upgradeWebSocket, websocket } from "hono/bun";
import type { WSContext } from "hono/ws";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

const OPEN = 1;
/** Hono/bun builds a new `WSContext` for every event, so the room is keyed on the raw socket. */
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

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch, websocket });
announce(server.port ?? 0);
exitWithParent(() => server.stop(true));
