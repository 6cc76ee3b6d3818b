/**
 * Native Bun control: `Bun.serve` websockets, no framework. `/echo` echoes every message;
 * `/chat` sends every message to every open socket of the room (sender included) with a plain
 * loop (see `native_bun_publish.ts` for Bun's native publish); `/stats` reports CPU and RSS.
 * Run: `bun bench/servers/native_bun.ts`.
 */
import type { ServerWebSocket } from "bun";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

interface SocketData {
  path: string;
}

const room = new Set<ServerWebSocket<SocketData>>();

const server = Bun.serve<SocketData>({
  hostname: "127.0.0.1",
  port: 0,
  fetch(request, server) {
    const path = new URL(request.url).pathname;
    if (path === STATS_PATH) return statsResponse();
    if (path !== "/echo" && path !== "/chat") return new Response("not found", { status: 404 });
    if (server.upgrade(request, { data: { path } })) return undefined;
    return new Response("upgrade required", { status: 426 });
  },
  websocket: {
    open(ws) {
      if (ws.data.path === "/chat") room.add(ws);
    },
    close(ws) {
      room.delete(ws);
    },
    message(ws, message) {
      if (ws.data.path === "/echo") {
        ws.send(message);
        return;
      }
      for (const peer of room) peer.send(message);
    },
  },
});
announce(server.port ?? 0);
exitWithParent(() => server.stop(true));
