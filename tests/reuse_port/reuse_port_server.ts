/**
 * A server for the reusePort test, on Deno, Bun or Node: serves `/who`, whose
 * sessions are sent this process's pid, with `reusePort: true` on the port
 * given as argument (0: any). Prints `{"listening":port,"pid":pid}` once it
 * listens, and exits when its stdin closes.
 *
 * On Node with `PLINTH_CLUSTER=N`, the primary forks N `node:cluster` workers
 * and each worker serves: the recipe docs/scaling.md gives for Node.
 * @module
 */
import process from "node:process";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";

type Serve = (container: ServerContainer, options?: ServeOptions) => Promise<PlinthServer>;

const port = Number(process.argv[2] ?? "0");
const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

async function adapterServe(): Promise<Serve> {
  // A computed specifier: the repo's tsc does not check the Deno adapter (Deno's own check does).
  const specifier = `../../adapters/${runtime}.ts`;
  return ((await import(specifier)) as { serve: Serve }).serve;
}

async function serveHere(): Promise<void> {
  const container = createContainer();
  addEndpoint(container, "/who", {
    onOpen: (session) => void session.asyncRemote.sendText(String(process.pid)),
  });
  const serve = await adapterServe();
  let server: PlinthServer;
  try {
    server = await serve(container, { hostname: "127.0.0.1", port, reusePort: true });
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error instanceof Error ? error.message : String(error), pid: process.pid })}\n`);
    process.exit(3);
  }
  process.stdout.write(`${JSON.stringify({ listening: server.port, pid: process.pid })}\n`);
  const stop = (): void => {
    void server.shutdown({ timeoutMs: 200 }).finally(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  if (process.env.PLINTH_CLUSTER === undefined) {
    process.stdin.on("end", stop);
    process.stdin.resume();
  }
}

const workers = Number(process.env.PLINTH_CLUSTER ?? "0");
if (runtime === "node" && workers > 0) {
  const cluster = (await import("node:cluster")).default;
  if (cluster.isPrimary) {
    // The primary only forks; stdout is shared, so each worker's line reaches the parent.
    const forked = Array.from({ length: workers }, () => cluster.fork());
    const stopAll = (): void => {
      for (const worker of forked) worker.process.kill("SIGTERM");
    };
    process.stdin.on("end", stopAll);
    process.stdin.resume();
    process.on("SIGTERM", stopAll);
    let exited = 0;
    cluster.on("exit", () => {
      if (++exited === workers) process.exit(0);
    });
  } else {
    await serveHere();
  }
} else {
  await serveHere();
}
