/**
 * A server process attached to Redis, for the cross-process backplane tests:
 * the adapter `PLINTH_ADAPTER` names (default: the runtime's own) serves
 * `/room/{topic}` on 127.0.0.1, port 0. A session subscribes to its topic at
 * open; each text or binary message it sends is `session.publish`ed to the topic.
 * `GET /stats` answers the backplane's stats. Prints
 * `{"event":"listening","url":…,"runtime":…}` once Redis is reached (or
 * `{"event":"ready-rejected",…}` when it is not, and serves anyway).
 *
 * `REDIS_URL=redis://127.0.0.1:6379 npx tsx tests/backplane/room_server.ts`
 * @module
 */
import process from "node:process";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { redisBackplane } from "../../adapters/redis.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { ADAPTER, RUNTIME } from "../support/runtime.ts";

const print = (message: Record<string, unknown>): void => console.log(JSON.stringify(message));
const errors: string[] = [];

const backplane = redisBackplane({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix: process.env.PREFIX ?? "plinth-test:" });
const container = createContainer({
  backplane,
  logger: {
    error(msg: string) {
      if (errors.length < 50) errors.push(msg);
      print({ event: "logged", msg });
    },
  },
});
addEndpoint(container, "/room/{topic}", {
  onOpen: (session) => {
    session.subscribe(session.pathParameters.topic!);
    return session;
  },
  onText: (session: Session, text) => session.publish(session.pathParameters.topic!, text),
  onBinary: (session: Session, data) => session.publish(session.pathParameters.topic!, data),
});

const server = await serveWith(container, {
  fallback: (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/stats") {
      return Response.json({ ...backplane.stats, connected: backplane.connected, channels: backplane.channels, errors });
    }
    if (url.pathname === "/shutdown") {
      setTimeout(async () => {
        await server.shutdown({ timeoutMs: 2000 });
        await backplane.close();
        print({ event: "shutdown" });
      }, 10);
      return new Response("shutting down\n");
    }
    return new Response("Not Found", { status: 404 });
  },
});
try {
  await backplane.ready;
} catch (error) {
  print({ event: "ready-rejected", message: (error as Error).message });
}
print({ event: "listening", url: server.url, pid: process.pid, runtime: RUNTIME, adapter: ADAPTER });
