/**
 * Native Deno control of the scale bench (`bench/scale.ts`): `Deno.upgradeWebSocket` under
 * `Deno.serve`. `/room` keeps every socket in a set; the heartbeat is Deno's own (`idleTimeout`
 * of `upgradeWebSocket`: a ping after a quiet half of it, close when no pong by its end); the idle timeout is
 * what a user writes without a framework, one timer per socket, restarted by each message;
 * `GET /broadcast` sends to every open socket with a loop. Settings from the environment (`scale_kit.ts`).
 */
import { denoApi, type DenoSocket } from "./deno_api.ts";
import { BROADCAST_MESSAGE, BROADCAST_PATH, ROOM_PATH, scaleSettings, timedBroadcast } from "./scale_kit.ts";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

const Deno = denoApi();
const OPEN = 1;
const IDLE_CLOSE = 1001;
const settings = scaleSettings();
const room = new Set<DenoSocket>();

function watchIdle(socket: DenoSocket): void {
  let timer = setTimeout(() => socket.close(IDLE_CLOSE, "Idle Timeout"), settings.idleTimeoutMs);
  socket.onmessage = () => {
    clearTimeout(timer);
    timer = setTimeout(() => socket.close(IDLE_CLOSE, "Idle Timeout"), settings.idleTimeoutMs);
  };
  socket.onclose = () => {
    clearTimeout(timer);
    room.delete(socket);
  };
}

const server = Deno.serve(
  { hostname: "127.0.0.1", port: settings.port, reusePort: settings.reusePort, onListen: ({ port }) => announce(port) },
  (request) => {
    const path = new URL(request.url).pathname;
    if (path === STATS_PATH) return statsResponse();
    if (path === BROADCAST_PATH) {
      return timedBroadcast(() => {
        for (const socket of room) if (socket.readyState === OPEN) socket.send(BROADCAST_MESSAGE);
      });
    }
    if (path !== ROOM_PATH) return new Response("not found", { status: 404 });
    // Deno pings after a quiet half of idleTimeout and closes when no pong came by its end: twice
    // the interval pings every interval (as plinth's Deno adapter sets it).
    const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: (2 * settings.pingIntervalMs) / 1000 });
    socket.onopen = () => {
      room.add(socket);
      if (settings.idleTimeoutMs > 0) watchIdle(socket);
      else socket.onclose = () => room.delete(socket);
    };
    return response;
  },
);
exitWithParent(() => server.shutdown());
