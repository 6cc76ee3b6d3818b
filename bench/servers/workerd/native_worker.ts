/**
 * The hand-written control on workerd: a Worker that sends `/echo` and `/chat` each to one
 * hibernating Durable Object, which accepts with `ctx.acceptWebSocket`; `/echo` sends every
 * message back, `/chat` sends it to every socket of the object (sender included); a peer's close
 * is answered. `/stats` goes to the launcher through the `STATS` binding.
 */
interface Socket {
  send(data: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}
interface Context {
  acceptWebSocket(ws: Socket): void;
  getWebSockets(): Socket[];
}
interface Env {
  ROOMS: { idFromName(name: string): unknown; get(id: unknown): { fetch(request: Request): Promise<Response> } };
  STATS: { fetch(request: Request): Promise<Response> };
}

export class Room {
  readonly #ctx: Context;
  #chat = false;
  constructor(ctx: Context) {
    this.#ctx = ctx;
  }
  fetch(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") return new Response("upgrade required", { status: 426 });
    this.#chat = new URL(request.url).pathname === "/chat";
    const pair = new (globalThis as unknown as { WebSocketPair: new () => [Socket, Socket] }).WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    (server as unknown as { binaryType: string }).binaryType = "arraybuffer";
    this.#ctx.acceptWebSocket(server);
    return new Response(null, { status: 101, webSocket: client } as ResponseInit);
  }
  webSocketMessage(ws: Socket, message: string | ArrayBuffer): void {
    if (!this.#chat) {
      ws.send(message);
      return;
    }
    for (const peer of this.#ctx.getWebSockets()) {
      try {
        peer.send(message);
      } catch {
        // closing
      }
    }
  }
  webSocketClose(ws: Socket, code: number, reason: string): void {
    try {
      if (code === 1005) ws.close();
      else if (code !== 1006) ws.close(code, reason);
    } catch {
      // answered already
    }
  }
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/stats") return env.STATS.fetch(request);
    if (path !== "/echo" && path !== "/chat") return Promise.resolve(new Response("not found", { status: 404 }));
    return env.ROOMS.get(env.ROOMS.idFromName(path)).fetch(request);
  },
};
