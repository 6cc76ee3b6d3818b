import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";
import { ADAPTER } from "./runtime.ts";

type Serve = (container: ServerContainer, options?: ServeOptions) => Promise<PlinthServer>;

const MODULES: Record<string, string> = {
  deno: "../../adapters/deno.ts",
  bun: "../../adapters/bun.ts",
  node: "../../adapters/node.ts",
  "hono-deno": "./hono_serve_deno.ts",
  "hono-bun": "./hono_serve_bun.ts",
  "hono-node": "./hono_serve_node.ts",
};

let loaded: Serve | undefined;

/** Serves `container` on 127.0.0.1, port 0, with the adapter under test. */
export async function serveWith(container: ServerContainer, options: ServeOptions = {}): Promise<PlinthServer> {
  if (loaded === undefined) {
    const specifier = MODULES[ADAPTER];
    if (specifier === undefined) throw new Error(`unknown PLINTH_ADAPTER ${ADAPTER}`);
    const module = (await import(specifier)) as { serve: Serve };
    loaded = module.serve;
  }
  return loaded(container, { port: 0, hostname: "127.0.0.1", ...options });
}
