/**
 * Hono on Deno: `upgradeWebSocket` from `hono/deno` under `Deno.serve`, same application logic
 * as `native_deno.ts` (echo; chat loop over the room's open sockets; `/stats`).
 * Run: `deno run -A bench/servers/hono_deno.ts`.
 */
import { Hono } from "hono";
import { upgradeWebSocket } from "hono/deno";
import type { WSContext } from "hono/ws";
import { denoApi } from "./deno_api.ts";
import { announce, exitWithParent, statsResponse, STATS_PATH } from "./server_kit.ts";

const Deno = denoApi();
const OPEN = 1;
/** Keyed on the raw socket, as on Bun where Hono builds a new `WSContext` per event. */
const room = new Map<unknown, WSContext>();
const app = new Hono();

app.get(STATS_PATH, () => statsResponse());
app.get(
  "/echo",
  upgradeWebSocket(() => ({
    onOpen(_event, ws) {
      (ws.raw as { binaryType: string }).binaryType = "arraybuffer";
    },
    onMessage(event, ws) {
      ws.send(event.data as string | ArrayBuffer);
    },
  })),
);
app.get(
  "/chat",
  upgradeWebSocket(() => ({
    onOpen(_event, ws) {
      (ws.raw as { binaryType: string }).binaryType = "arraybuffer";
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

const server = Deno.serve(
  { hostname: "127.0.0.1", port: 0, onListen: ({ port }) => announce(port) },
  (request) => app.fetch(request),
);
exitWithParent(() => server.shutdown());
