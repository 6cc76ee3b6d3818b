/**
 * Native Node control of the scale bench (`bench/scale.ts`): `ws` on `node:http`. `/room` keeps
 * every socket; `GET /broadcast` sends to all of them with a loop. The heartbeat is `ws`'s own
 * recipe — one interval for the server that terminates a socket whose last ping got no pong and
 * pings the others; the idle timeout is one timer per socket, restarted by each message.
 * Settings from the environment (`scale_kit.ts`); with `PLINTH_SCALE_CLUSTER=N` this process is a
 * `node:cluster` primary whose N workers serve one port.
 */
import cluster from "node:cluster";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { WebSocket, WebSocketServer } from "ws";
import { BROADCAST_MESSAGE, BROADCAST_PATH, ROOM_PATH, scaleSettings, timedBroadcastBody } from "./scale_kit.ts";
import { announce, exitWithParent, statsBody, STATS_PATH } from "./server_kit.ts";

const IDLE_CLOSE = 1001;
const settings = scaleSettings();
const room = new Set<WebSocket>();
const alive = new WeakSet<WebSocket>();
const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false });

function join(ws: WebSocket): void {
  room.add(ws);
  alive.add(ws);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (): void => {
    timer = setTimeout(() => ws.close(IDLE_CLOSE, "Idle Timeout"), settings.idleTimeoutMs);
  };
  if (settings.idleTimeoutMs > 0) arm();
  ws.on("message", () => {
    if (timer === undefined) return;
    clearTimeout(timer);
    arm();
  });
  ws.on("pong", () => alive.add(ws));
  ws.on("close", () => {
    clearTimeout(timer);
    room.delete(ws);
  });
}

if (settings.pingIntervalMs > 0) {
  setInterval(() => {
    for (const ws of room) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, settings.pingIntervalMs).unref();
}

function listen(): void {
  const server = createServer((request, response) => {
    if (request.url === STATS_PATH) {
      response.writeHead(200, { "content-type": "application/json" }).end(statsBody());
      return;
    }
    if (request.url === BROADCAST_PATH) {
      const body = timedBroadcastBody(() => {
        for (const ws of room) if (ws.readyState === WebSocket.OPEN) ws.send(BROADCAST_MESSAGE);
      });
      response.writeHead(200, { "content-type": "application/json" }).end(body);
      return;
    }
    response.writeHead(404).end("not found");
  });
  server.on("upgrade", (request, socket, head) => {
    if (request.url !== ROOM_PATH) {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    wss.handleUpgrade(request, socket, head, join);
  });
  server.listen(settings.port, "127.0.0.1", () => {
    if (cluster.isWorker) return;
    announce((server.address() as AddressInfo).port);
    exitWithParent(() => server.close());
  });
}

const workers = Number(process.env.PLINTH_SCALE_CLUSTER ?? "0");
if (workers > 0 && cluster.isPrimary) {
  const forked = Array.from({ length: workers }, () => cluster.fork());
  let listening = 0;
  cluster.on("listening", (_worker, address) => {
    if (++listening === workers) {
      process.stdout.write(`WORKERS ${forked.map((w) => w.process.pid).join(" ")}\n`);
      announce(address.port);
    }
  });
  exitWithParent(() => {
    for (const worker of forked) worker.process.kill("SIGTERM");
  });
} else {
  listen();
}
