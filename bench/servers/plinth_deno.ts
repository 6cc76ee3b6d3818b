/**
 * plinth through `adapters/deno.ts`: the application of `plinth_app.ts`.
 * Run: see `bench/README.md`.
 */
import { serve } from "../../adapters/deno.ts";
import { benchContainer, benchFallback } from "./plinth_app.ts";
import { announce, exitWithParent } from "./server_kit.ts";

const server = await serve(benchContainer(), { hostname: "127.0.0.1", port: 0, fallback: benchFallback });
announce(server.port);
exitWithParent(() => server.shutdown({ timeoutMs: 100 }));
