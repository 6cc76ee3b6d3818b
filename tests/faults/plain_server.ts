/**
 * A plain echo WebSocket server on the current runtime's own API — `Deno.serve`
 * + `Deno.upgradeWebSocket` on Deno, `Bun.serve` websockets on Bun, `ws` on
 * Node — to test the fault tools (and to compare plinth with its runtime's
 * baseline). Listens on 127.0.0.1 only and stops by itself after `maxLifetimeMs`.
 *
 * @module
 */

/** Which runtime this process is. */
export type RuntimeName = "deno" | "bun" | "node";

/** A running plain echo server. */
export interface PlainServer {
  runtime: RuntimeName;
  port: number;
  /** `ws://127.0.0.1:PORT/ws` */
  url: string;
  /** Stops listening and drops open connections. Idempotent. */
  close(): Promise<void>;
}

/** Options for {@link startPlainEchoServer}. */
export interface PlainServerOptions {
  /** Default 0 (any free port). */
  port?: number;
  /** The server closes itself after this long; default 10 minutes. */
  maxLifetimeMs?: number;
}

// Minimal local views of the runtime globals (tsc sees neither Deno's nor, portably, Bun's types).
interface DenoWebSocketUpgrade {
  socket: WebSocket;
  response: Response;
}
interface DenoHttpServer {
  addr: { port: number };
  shutdown(): Promise<void>;
  finished: Promise<void>;
}
interface DenoLike {
  serve(
    options: { hostname: string; port: number; onListen?: (addr: { port: number }) => void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoHttpServer;
  upgradeWebSocket(request: Request): DenoWebSocketUpgrade;
}
interface BunServerWebSocket {
  send(data: string | Uint8Array | ArrayBuffer): number;
}
interface BunServer {
  port: number;
  upgrade(request: Request): boolean;
  stop(closeActiveConnections?: boolean): Promise<void> | void;
}
interface BunLike {
  serve(options: {
    hostname: string;
    port: number;
    fetch(request: Request, server: BunServer): Response | undefined | Promise<Response | undefined>;
    websocket: { message(ws: BunServerWebSocket, message: string | Uint8Array): void };
  }): BunServer;
}

/** The runtime this code is running on. */
export function currentRuntime(): RuntimeName {
  const g = globalThis as { Deno?: unknown; Bun?: unknown };
  if (g.Deno !== undefined) return "deno";
  if (g.Bun !== undefined) return "bun";
  return "node";
}

/** Starts the runtime's own plain echo server (text → text, binary → binary) on 127.0.0.1. */
export async function startPlainEchoServer(options: PlainServerOptions = {}): Promise<PlainServer> {
  const runtime = currentRuntime();
  const port = options.port ?? 0;
  let stop: () => Promise<void>;
  let actualPort: number;
  if (runtime === "deno") {
    const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
    let resolveListening: (p: number) => void = () => {};
    const listening = new Promise<number>((r) => (resolveListening = r));
    const server = deno.serve({ hostname: "127.0.0.1", port, onListen: (addr) => resolveListening(addr.port) }, (request) => {
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
        return new Response("WebSocket upgrade required\n", { status: 426, headers: { upgrade: "websocket" } });
      }
      let upgraded: DenoWebSocketUpgrade;
      try {
        upgraded = deno.upgradeWebSocket(request);
      } catch {
        return new Response("Bad WebSocket handshake\n", { status: 400 });
      }
      const { socket, response } = upgraded;
      socket.binaryType = "arraybuffer";
      socket.onmessage = (event: MessageEvent) => {
        if (socket.readyState === WebSocket.OPEN) socket.send(event.data as string | ArrayBuffer);
      };
      socket.onerror = () => {};
      return response;
    });
    actualPort = await listening;
    stop = async () => {
      await server.shutdown();
    };
  } else if (runtime === "bun") {
    const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
    const server = bun.serve({
      hostname: "127.0.0.1",
      port,
      fetch(request, srv) {
        if (srv.upgrade(request)) return undefined;
        return new Response("WebSocket upgrade required\n", { status: 426, headers: { upgrade: "websocket" } });
      },
      websocket: {
        message(ws, message) {
          ws.send(message);
        },
      },
    });
    actualPort = server.port;
    stop = async () => {
      await server.stop(true);
    };
  } else {
    const { WebSocketServer } = await import("ws");
    const wss = new WebSocketServer({ host: "127.0.0.1", port });
    wss.on("connection", (ws) => {
      ws.on("message", (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on("error", () => {});
    });
    wss.on("error", () => {});
    await new Promise<void>((resolve, reject) => {
      wss.once("listening", resolve);
      wss.once("error", reject);
    });
    const address = wss.address();
    actualPort = typeof address === "object" && address !== null ? address.port : port;
    stop = () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close(() => resolve());
      });
  }
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    clearTimeout(lifetime);
    closing ??= stop().catch(() => {});
    return closing;
  };
  const lifetime = setTimeout(() => void close(), options.maxLifetimeMs ?? 10 * 60_000);
  return { runtime, port: actualPort, url: `ws://127.0.0.1:${actualPort}/ws`, close };
}
