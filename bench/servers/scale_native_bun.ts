/**
 * Native Bun control of the scale bench (`bench/scale.ts`): `Bun.serve` websockets. `/room`
 * keeps every socket; `GET /broadcast` sends to all of them with a loop, or, with
 * `PLINTH_SCALE_NATIVE_PUBLISH=1`, with Bun's own `server.publish` to one topic. The idle timeout
 * is Bun's own `idleTimeout` (whole seconds, at most 960). The heartbeat is one interval for the
 * server that pings every socket and terminates one whose last ping got no pong — `ws`'s recipe —
 * since Bun's own `sendPings` pings on uWS's idle-timeout clock, which ticks in seconds (4 s here),
 * so it cannot ping at the same interval as the other rows. Settings from the environment.
 */
import type { ServerWebSocket } from "bun";
import process from "node:process";
import { BROADCAST_MESSAGE, BROADCAST_PATH, ROOM_PATH, ROOM_TOPIC, scaleSettings, timedBroadcast } from "./scale_kit.ts";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

interface SocketData {
  /** Answered the last ping (or none was sent yet). */
  alive: boolean;
}

const settings = scaleSettings();
const nativePublish = process.env.PLINTH_SCALE_NATIVE_PUBLISH === "1";
const room = new Set<ServerWebSocket<SocketData>>();
/** Every open socket, for the heartbeat (the room holds only the loop row's). */
const sockets = new Set<ServerWebSocket<SocketData>>();

if (settings.pingIntervalMs > 0) {
  setInterval(() => {
    for (const ws of sockets) {
      if (!ws.data.alive) {
        ws.terminate();
        continue;
      }
      ws.data.alive = false;
      ws.ping();
    }
  }, settings.pingIntervalMs).unref();
}

const server = Bun.serve<SocketData>({
  hostname: "127.0.0.1",
  port: settings.port,
  reusePort: settings.reusePort,
  fetch(request, server) {
    const path = new URL(request.url).pathname;
    if (path === STATS_PATH) return statsResponse();
    if (path === BROADCAST_PATH) {
      return timedBroadcast(() => {
        if (nativePublish) server.publish(ROOM_TOPIC, BROADCAST_MESSAGE);
        else for (const ws of room) ws.send(BROADCAST_MESSAGE);
      });
    }
    if (path !== ROOM_PATH) return new Response("not found", { status: 404 });
    if (server.upgrade(request, { data: { alive: true } })) return undefined;
    return new Response("upgrade required", { status: 426 });
  },
  websocket: {
    idleTimeout: Math.min(960, Math.ceil(settings.idleTimeoutMs / 1000)),
    sendPings: false,
    open(ws) {
      if (nativePublish) ws.subscribe(ROOM_TOPIC);
      else room.add(ws);
      sockets.add(ws);
    },
    message() {},
    pong(ws) {
      ws.data.alive = true;
    },
    close(ws) {
      room.delete(ws);
      sockets.delete(ws);
    },
  },
});
announce(server.port ?? 0);
exitWithParent(() => server.stop(true));
