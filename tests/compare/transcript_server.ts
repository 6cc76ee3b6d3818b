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

const server = await serveWith(container, {
  fallback: () => new Response("fallback page", { headers: { "content-type": "text/plain" } }),
});
process.stdout.write(`LISTENING ${server.port}\n`);
const stop = () => void server.shutdown({ timeoutMs: 200 }).finally(() => process.exit(0));
process.stdin.on("end", stop);
process.stdin.on("close", stop);
process.stdin.resume();
