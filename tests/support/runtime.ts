/**
 * Which runtime runs the tests, and which adapter the contract suite serves with.
 * @module
 */

/** The runtime running this process. */
export const RUNTIME: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** Adapters the contract suite can run against. */
export type AdapterName = "deno" | "bun" | "node" | "hono-deno" | "hono-bun" | "hono-node";

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env[name];

/** `PLINTH_ADAPTER` from the environment, else the runtime's own adapter. */
export const ADAPTER: AdapterName = (env("PLINTH_ADAPTER") as AdapterName | undefined) ?? RUNTIME;
