/**
 * The chat demo on Deno (`npm run start:deno`): `deno run -A examples/chat/server_deno.ts`
 * (least privilege: `deno run --allow-net=127.0.0.1 --allow-read=examples/chat/public
 * --allow-env=PORT,HOST,REDIS_URL examples/chat/server_deno.ts` from the repository root).
 * `PORT` overrides 8080 (0 = any free port); with `REDIS_URL`, rooms are shared
 * with every chat server on that Redis.
 * @module
 */
import { serve } from "../../adapters/deno.ts";
import { startChat } from "./start_chat.ts";

await startChat({
  serve,
  runtime: "deno",
  port: Deno.env.get("PORT"),
  hostname: Deno.env.get("HOST"),
  onSignal: (listener) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, () => listener(signal));
  },
  redisUrl: Deno.env.get("REDIS_URL"),
  exit: (code) => Deno.exit(code),
});
