/**
 * Native Node control: `ws` on `node:http`, no framework. `/echo` echoes every message;
 * `/chat` sends every message to every open socket of the room (sender included) with a plain
 * loop; `/stats` reports CPU and RSS.
 * Run: `node --import tsx bench/servers/native_node.ts`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { announce, exitWithParent, statsBody, STATS_PATH } from "./server_kit.ts";

const room = new Set<WebSocket>();
const wss = new WebSocketServer({ noServer: true });

function echo(ws: WebSocket): void {
  ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
}

function chat(ws: WebSocket): void {
  room.add(ws);
  ws.on("close", () => room.delete(ws));
  ws.on("message", (data, isBinary) => {
    for (const peer of room) if (peer.readyState === WebSocket.OPEN) peer.send(data, { binary: isBinary });
  });
}

const server = createServer((request, response) => {
  if (request.url === STATS_PATH) {
    response.writeHead(200, { "content-type": "application/json" }).end(statsBody());
    return;
  }
  response.writeHead(404).end("not found");
});

server.on("upgrade", (request, socket, head) => {
  const path = request.url;
  if (path !== "/echo" && path !== "/chat") {
    socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  wss.handleUpgrade(request, socket, head, (ws) => (path === "/echo" ? echo(ws) : chat(ws)));
});

server.listen(0, "127.0.0.1", () => announce((server.address() as AddressInfo).port));
exitWithParent(() => server.close());
