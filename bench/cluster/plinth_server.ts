/**
 * The cluster workload's plinth server, on whichever runtime runs it (its own adapter): `/chat`
 * subscribes every session to one room and broadcasts each message to the room with
 * `container.publish` (sender included, as the bench's chat does). With `REDIS_URL`, the
 * container has a Redis backplane, so the room spans every process on that Redis. Prints
 * `LISTENING <port>` once Redis is reached; exits when stdin closes or on SIGTERM.
 */
import process from "node:process";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, ServeOptions, ServerContainer, Session } from "../../mod.ts";
import { redisBackplane } from "../../adapters/redis.ts";
import type { RedisBackplane } from "../../adapters/redis.ts";
import { announce, exitWithParent } from "../servers/server_kit.ts";

type Serve = (container: ServerContainer, options?: ServeOptions) => Promise<PlinthServer>;
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";
const { serve } = (await import(`../../adapters/${runtime}.ts`)) as { serve: Serve };

const url = process.env.REDIS_URL;
const backplane: RedisBackplane | undefined = url ? redisBackplane({ url, prefix: "bench:" }) : undefined;
const container = createContainer({ backplane });
addEndpoint<Session>(container, "/chat", {
  onOpen: (session) => {
    session.subscribe("room");
    return session;
  },
  onText: (_session, text) => container.publish("room", text),
});
await backplane?.ready;
const server = await serve(container, {
  hostname: "127.0.0.1",
  port: 0,
  fallback: (request) =>
    new URL(request.url).pathname === "/backplane"
      ? Response.json(backplane?.stats ?? null)
      : new Response("not found", { status: 404 }),
});
announce(server.port);
exitWithParent(async () => {
  await server.shutdown({ timeoutMs: 100 });
  await backplane?.close();
});
