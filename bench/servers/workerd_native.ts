/**
 * The workerd control: a hand-written hibernating Durable Object (`bench/servers/workerd/native_worker.ts`).
 * Run: see `bench/README.md`.
 */
import { serveOnWorkerd } from "./workerd_kit.ts";

await serveOnWorkerd(new URL("./workerd/native_worker.ts", import.meta.url), { ROOMS: "Room" });
