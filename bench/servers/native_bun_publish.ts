/**
 * Native Bun control with Bun's own fan-out: like `native_bun.ts`, but `/chat` subscribes every
 * socket to one topic and broadcasts with `server.publish` (which, unlike `ws.publish`, includes
 * the sender). `/echo` and `/stats` are the same as `native_bun.ts`.
 * Run: `bun bench/servers/native_bun_publish.ts`.
 */
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

interface SocketData {
  path: string;
}

const ROOM = "room";

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
      if (ws.data.path === "/chat") ws.subscribe(ROOM);
    },
    message(ws, message) {
      if (ws.data.path === "/echo") ws.send(message);
      else server.publish(ROOM, message);
    },
  },
});
announce(server.port ?? 0);
exitWithParent(() => server.stop(true));
