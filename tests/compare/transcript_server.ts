/**
 * The server side of the cross-runtime comparison: one container, served by
 * the adapter named in `PLINTH_ADAPTER` (deno, bun, node, hono-deno, hono-bun,
 * hono-node) on whichever runtime runs this file. Prints `LISTENING <port>`
 * and exits when its stdin closes.
 * @module
 */
import process from "node:process";
import { addEndpoint, CloseReason, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { serveWith } from "../support/serve_adapter.ts";
import type { PlinthServer } from "../../mod.ts";
import { addOrderingEndpoints, EventLog } from "../support/ordering_endpoints.ts";

const container = createContainer({ logger: { error: () => {} } });
const echo = {
  onOpen: (session: Session) => session,
  onText: (session: Session, text: string) => {
    if (text === "close-me") session.close(new CloseReason(4001, "closed by request"));
    else void session.asyncRemote.sendText(`echo:${text}`);
  },
  onBinary: (session: Session, data: Uint8Array) => void session.asyncRemote.sendBinary(data),
};
addEndpoint(container, "/echo", echo);
addEndpoint(container, "/rooms/{room}", {
  onOpen: (session) => {
    void session.asyncRemote.sendText(`room:${session.pathParameters.room}`);
    return session;
  },
});
addEndpoint(container, "/proto", { ...echo, subprotocols: ["v3", "v2", "v1"] });
addEndpoint(container, "/throws", {
  onText: () => {
    throw new Error("secret");
  },
});
addEndpoint(container, "/small", { ...echo, maxTextMessageBufferSize: 8, maxBinaryMessageBufferSize: 4 });
addEndpoint(container, "/idle", { ...echo, idleTimeoutMs: 150 });
addEndpoint(container, "/auth", {
  ...echo,
  configure: (builder) =>
    void builder.configurator({
      checkOrigin: (origin) => origin !== "https://evil.example",
      modifyHandshake(_config, request, response) {
        if (request.headers.get("authorization") !== "Bearer ok") {
          return new Response("sign in first", {
            status: 401,
            headers: { "www-authenticate": "Bearer", "content-type": "text/plain" },
          });
        }
        response.headers.set("x-welcome", "yes");
      },
    }),
});
addEndpoint(container, "/full", { ...echo, maxSessions: 1 });

// Server-side event order, read back by the client through GET /events?log=KEY.
const log = new EventLog();
addOrderingEndpoints(container, log);
const logged = {
  onOpen: (session: Session) => {
    log.push(session, "onOpen");
    return session;
  },
  onText: (session: Session, text: string) => void log.push(session, `onText ${text.length}`),
  onClose: (session: Session, _s: Session, reason: CloseReason) =>
    void log.push(session, `onClose ${reason.code} ${reason.reasonPhrase}`),
};
addEndpoint(container, "/slow-open", {
  ...logged,
  maxTextMessageBufferSize: 100_000,
  maxBinaryMessageBufferSize: 100_000,
  onOpen: async (session) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    log.push(session, "onOpen done");
    return session;
  },
});
addEndpoint(container, "/beat", { ...logged, pingIntervalMs: 200 });

/** A second server whose only handshake starts its shutdown (GET /spawn-shutdown answers its port). */
async function spawnShutdownServer(): Promise<number> {
  const inner = createContainer({ logger: { error: () => {} } });
  let innerServer: PlinthServer | undefined;
  addEndpoint(inner, "/in-flight", {
    ...logged,
    configure: (builder) =>
      void builder.configurator({
        modifyHandshake() {
          queueMicrotask(() =>
            void innerServer!.shutdown({ timeoutMs: 2000 }).then(() => log.push(shutdownSession, "shutdown done"))
          );
        },
      }),
    onOpen: (session) => {
      shutdownSession = session;
      log.push(session, `onOpen isOpen=${session.isOpen}`);
      return session;
    },
  });
  innerServer = await serveWith(inner);
  return innerServer.port;
}
let shutdownSession: Session;

const server = await serveWith(container, {
  fallback: async (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/events") return Response.json(log.get(url.searchParams.get("log") ?? ""));
    if (url.pathname === "/spawn-shutdown") return new Response(String(await spawnShutdownServer()));
    return new Response("fallback page", { headers: { "content-type": "text/plain" } });
  },
});
process.stdout.write(`LISTENING ${server.port}\n`);
const stop = () => void server.shutdown({ timeoutMs: 200 }).finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
