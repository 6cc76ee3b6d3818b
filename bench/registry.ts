/**
 * The rows of the benchmark: one server file per (runtime, implementation).
 *
 * To add a row, add an entry here and write its server file under `bench/servers/` following
 * the server protocol in `bench/README.md` (listen on 127.0.0.1 port 0, print `LISTENING <port>`,
 * serve `/echo`, `/chat` and `GET /stats`, exit when stdin closes or on SIGTERM).
 * A row whose file does not exist yet is skipped with a message, so the plinth rows below are
 * slots until `bench/servers/plinth_*.ts` are written.
 */
import type { Runtime, RowKind, Workload } from "./types.ts";

/** One server implementation measured by the benchmark. */
export interface Row {
  /** Unique id, `<runtime>_<name>`; used by `--only` and in results.json. */
  id: string;
  runtime: Runtime;
  kind: RowKind;
  /** Server file, relative to `bench/`. */
  file: string;
  /** Row id each figure is divided by; default `<runtime>_native`. Per workload if needed. */
  baseline?: Partial<Record<Workload, string>>;
  /** One line for the README. */
  description: string;
}

/** Every row, grouped by runtime; native control first in each group. */
export const ROWS: readonly Row[] = [
  { id: "deno_native", runtime: "deno", kind: "native", file: "servers/native_deno.ts", description: "Deno.serve + Deno.upgradeWebSocket, chat = loop over sockets" },
  { id: "deno_hono", runtime: "deno", kind: "hono", file: "servers/hono_deno.ts", description: "Hono with hono/deno upgradeWebSocket" },
  { id: "deno_plinth", runtime: "deno", kind: "plinth", file: "servers/plinth_deno.ts", description: "plinth through adapters/deno.ts" },
  { id: "bun_native", runtime: "bun", kind: "native", file: "servers/native_bun.ts", description: "Bun.serve websockets, chat = loop over sockets" },
  { id: "bun_native_publish", runtime: "bun", kind: "native", file: "servers/native_bun_publish.ts", description: "Bun.serve websockets, chat = subscribe + server.publish" },
  { id: "bun_hono", runtime: "bun", kind: "hono", file: "servers/hono_bun.ts", description: "Hono with hono/bun upgradeWebSocket + websocket" },
  { id: "bun_plinth", runtime: "bun", kind: "plinth", file: "servers/plinth_bun.ts", description: "plinth through adapters/bun.ts", baseline: { chat: "bun_native_publish" } },
  { id: "node_native", runtime: "node", kind: "native", file: "servers/native_node.ts", description: "ws on node:http, chat = loop over sockets" },
  { id: "node_hono", runtime: "node", kind: "hono", file: "servers/hono_node.ts", description: "Hono with @hono/node-server v2 upgradeWebSocket (ws WebSocketServer, noServer)" },
  { id: "node_plinth", runtime: "node", kind: "plinth", file: "servers/plinth_node.ts", description: "plinth through adapters/node.ts" },
  { id: "workerd_native", runtime: "workerd", kind: "native", file: "servers/workerd_native.ts", description: "a hand-written hibernating Durable Object on workerd (Miniflare), chat = loop over ctx.getWebSockets()" },
  { id: "workerd_plinth", runtime: "workerd", kind: "plinth", file: "servers/workerd_plinth.ts", description: "plinth through adapters/cloudflare.ts: a hibernating Durable Object" },
];

/** The id of the row `row`'s figures for `workload` are divided by (itself for a control). */
export function baselineOf(row: Row, workload: Workload): string {
  return row.baseline?.[workload] ?? `${row.runtime}_native`;
}
