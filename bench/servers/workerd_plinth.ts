/**
 * plinth on workerd: `bench/servers/workerd/plinth_worker.ts`, a hibernating Durable Object from
 * `adapters/cloudflare.ts`. Run: see `bench/README.md`.
 */
import { serveOnWorkerd } from "./workerd_kit.ts";

await serveOnWorkerd(new URL("./workerd/plinth_worker.ts", import.meta.url), { ROOMS: "Room" });
