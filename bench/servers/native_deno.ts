/**
 * Native Deno control: `Deno.upgradeWebSocket` under `Deno.serve`, no framework.
 * `/echo` echoes every message; `/chat` sends every message to every open socket of the room
 * (sender included) with a plain loop; `/stats` reports CPU and RSS.
 * Run: `deno run -A bench/servers/native_deno.ts`.
 */
import { denoApi, type DenoSocket } from "./deno_api.ts";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

const Deno = denoApi();
const OPEN = 1;
const room = new Set<DenoSocket>();

function echo(socket: DenoSocket): void {
  socket.onmessage = (event) => socket.send(event.data);
}

function chat(socket: DenoSocket): void {
  socket.onopen = () => room.add(socket);
  socket.onclose = () => room.delete(socket);
  socket.onerror = () => room.delete(socket);
  socket.onmessage = (event) => {
    const data = event.data;
    for (const peer of room) if (peer.readyState === OPEN) peer.send(data);
  };
}

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => announce(port) },
  (request) => {
    const path = new URL(request.url).pathname;
    if (path === STATS_PATH) return statsResponse();
    if (path !== "/echo" && path !== "/chat") return new Response("not found", { status: 404 });
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return new Response("upgrade required", { status: 426 });
    }
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.binaryType = "arraybuffer";
    if (path === "/echo") echo(socket);
    else chat(socket);
    return response;
  },
);
exitWithParent(() => server.shutdown());
