/**
 * The chat demo on Node (`npm start`): `tsx examples/chat/server_node.ts`.
 * `PORT` overrides 8080 (0 = any free port); with `REDIS_URL`, rooms are shared
 * with every chat server on that Redis.
 * @module
 */
import { serve } from "../../adapters/node.ts";
import { startChat } from "./start_chat.ts";

await startChat({
  serve,
  runtime: "node",
  port: process.env.PORT,
  hostname: process.env.HOST,
  onSignal: (listener) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => listener(signal));
  },
  redisUrl: process.env.REDIS_URL,
  exit: (code) => process.exit(code),
});
