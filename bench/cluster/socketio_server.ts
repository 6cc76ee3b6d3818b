/**
 * The cluster workload's Socket.IO server (Node): one room; every `m` event is emitted to the
 * room, sender included. Clients use the WebSocket transport only. With `REDIS_URL`,
 * `@socket.io/redis-adapter` (on node-redis) spans the room across processes. Prints
 * `LISTENING <port>`; exits when stdin closes or on SIGTERM.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { createAdapter } from "@socket.io/redis-adapter";
import { createClient } from "redis";
import { Server } from "socket.io";
import { announce, exitWithParent } from "../servers/server_kit.ts";

const http = createServer();
const io = new Server(http, { transports: ["websocket"], serveClient: false });
const url = process.env.REDIS_URL;
const clients: ReturnType<typeof createClient>[] = [];
if (url) {
  const pub = createClient({ url });
  const sub = pub.duplicate();
  for (const client of [pub, sub]) client.on("error", (error: unknown) => console.error("redis:", error));
  await Promise.all([pub.connect(), sub.connect()]);
  clients.push(pub, sub);
  io.adapter(createAdapter(pub, sub, { key: "bench-sio" }));
}
io.on("connection", (socket) => {
  void socket.join("room");
  socket.on("m", (message: string) => io.to("room").emit("m", message));
});
await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
announce((http.address() as AddressInfo).port);
exitWithParent(async () => {
  await io.close();
  for (const client of clients) await client.close().catch(() => {});
});
