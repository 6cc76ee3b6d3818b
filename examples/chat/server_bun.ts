/**
 * The chat demo on Bun (`npm run start:bun`): `bun examples/chat/server_bun.ts`.
 * `PORT` overrides 8080 (0 = any free port); with `REDIS_URL`, rooms are shared
 * with every chat server on that Redis.
 * @module
 */
import { serve } from "../../adapters/bun.ts";
import { startChat } from "./start_chat.ts";

await startChat({
  serve,
  runtime: "bun",
  port: process.env.PORT,
  hostname: process.env.HOST,
  onSignal: (listener) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => listener(signal));
  },
  redisUrl: process.env.REDIS_URL,
  exit: (code) => process.exit(code),
});
