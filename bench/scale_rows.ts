/**
 * The rows of the scale bench (`bench/scale.ts`): per runtime the native control and plinth,
 * on Bun also the native control with Bun's own publish, which plinth's broadcast is divided by
 * (plinth's topics map to it on Bun, see docs/contract.md).
 */
import type { Runtime } from "./types.ts";

/** One server of the scale bench. */
export interface ScaleRow {
  id: string;
  runtime: Runtime;
  kind: "native" | "plinth";
  /** Server file, relative to `bench/`. */
  file: string;
  /** Extra environment of the server. */
  env?: Record<string, string>;
  /** The row every figure is divided by; for broadcast `broadcastBaseline` when set. */
  baseline: string;
  broadcastBaseline?: string;
  description: string;
}

/** Every scale row, native control first in each runtime. */
export const SCALE_ROWS: readonly ScaleRow[] = [
  { id: "deno_native", runtime: "deno", kind: "native", file: "servers/scale_native_deno.ts", baseline: "deno_native", description: "Deno.upgradeWebSocket (its idleTimeout pings), a timer per socket, broadcast = loop" },
  { id: "deno_plinth", runtime: "deno", kind: "plinth", file: "servers/scale_plinth_deno.ts", baseline: "deno_native", description: "plinth, adapters/deno.ts; broadcast = container.publish (the core's loop)" },
  { id: "bun_native", runtime: "bun", kind: "native", file: "servers/scale_native_bun.ts", baseline: "bun_native", description: "Bun.serve websockets (idleTimeout, sendPings), broadcast = loop" },
  { id: "bun_native_publish", runtime: "bun", kind: "native", file: "servers/scale_native_bun.ts", env: { PLINTH_SCALE_NATIVE_PUBLISH: "1" }, baseline: "bun_native", description: "the same, broadcast = subscribe + server.publish" },
  { id: "bun_plinth", runtime: "bun", kind: "plinth", file: "servers/scale_plinth_bun.ts", baseline: "bun_native", broadcastBaseline: "bun_native_publish", description: "plinth, adapters/bun.ts; broadcast = container.publish (Bun's native publish)" },
  { id: "node_native", runtime: "node", kind: "native", file: "servers/scale_native_node.ts", baseline: "node_native", description: "ws on node:http (ws's ping interval recipe), a timer per socket, broadcast = loop" },
  { id: "node_plinth", runtime: "node", kind: "plinth", file: "servers/scale_plinth_node.ts", baseline: "node_native", description: "plinth, adapters/node.ts; broadcast = container.publish (the core's loop)" },
];
