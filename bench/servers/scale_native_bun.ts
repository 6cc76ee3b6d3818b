/**
 * Native Bun control of the scale bench (`bench/scale.ts`): `Bun.serve` websockets. `/room`
 * keeps every socket; `GET /broadcast` sends to all of them with a loop, or, with
 * `PLINTH_SCALE_NATIVE_PUBLISH=1`, with Bun's own `server.publish` to one topic. Bun's own timers:
 * with a heartbeat, `idleTimeout` = the ping interval and `sendPings` (uWS pings a socket that was
 * silent that long, and closes it when the next interval passes without an answer), and the idle
 * timeout is one timer per socket, restarted by each message; without a heartbeat, the idle
 * timeout is Bun's `idleTimeout` (whole seconds, at most 960). Settings from the environment.
 */
import type { ServerWebSocket } from "bun";
import process from "node:process";
import { BROADCAST_MESSAGE, BROADCAST_PATH, ROOM_PATH, ROOM_TOPIC, scaleSettings, timedBroadcast } from "./scale_kit.ts";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

interface SocketData {
  idle: ReturnType<typeof setTimeout> | undefined;
}

const IDLE_CLOSE = 1001;
const settings = scaleSettings();
const nativePublish = process.env.PLINTH_SCALE_NATIVE_PUBLISH === "1";
const ownIdleTimer = settings.pingIntervalMs > 0 && settings.idleTimeoutMs > 0;
const room = new Set<ServerWebSocket<SocketData>>();

function armIdle(ws: ServerWebSocket<SocketData>): void {
  ws.data.idle = setTimeout(() => ws.close(IDLE_CLOSE, "Idle Timeout"), settings.idleTimeoutMs);
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
    if (server.upgrade(request, { data: { idle: undefined } })) return undefined;
    return new Response("upgrade required", { status: 426 });
  },
  websocket: {
    idleTimeout: settings.pingIntervalMs > 0
      ? Math.max(1, Math.round(settings.pingIntervalMs / 1000))
      : Math.min(960, Math.ceil(settings.idleTimeoutMs / 1000)),
    sendPings: settings.pingIntervalMs > 0,
    open(ws) {
      if (nativePublish) ws.subscribe(ROOM_TOPIC);
      else room.add(ws);
      if (ownIdleTimer) armIdle(ws);
    },
    message(ws) {
      if (ws.data.idle === undefined) return;
      clearTimeout(ws.data.idle);
      armIdle(ws);
    },
    close(ws) {
      room.delete(ws);
      clearTimeout(ws.data.idle);
    },
  },
});
announce(server.port ?? 0);
exitWithParent(() => server.stop(true));
