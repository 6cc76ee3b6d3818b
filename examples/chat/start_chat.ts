/**
 * What the three chat servers share: read the port, serve a fresh chat
 * container with the page as fallback, print the URL, shut down on a signal.
 * Each `server_*.ts` passes its runtime's adapter and signal hook. With
 * `REDIS_URL` set, rooms are shared through Redis by every server started
 * with the same URL, whatever its runtime (`redis_rooms.ts`).
 *
 * @module
 */
import type { PlinthServer, ServeOptions, ServerContainer } from "../../mod.ts";
import { createChatContainer } from "./chat_endpoint.ts";
import { staticFiles } from "./static_files.ts";

/** An adapter's `serve`. */
export type Serve = (container: ServerContainer, options?: ServeOptions) => Promise<PlinthServer>;

/** The port when `PORT` is not set. */
export const DEFAULT_PORT = 8080;

/**
 * `PORT` as a port number: unset or empty → {@linkcode DEFAULT_PORT}; `0` picks a free port.
 * @throws {RangeError} when it is not an integer from 0 to 65535
 */
export function parsePort(value: string | undefined): number {
  if (value === undefined || value.trim() === "") return DEFAULT_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || port > 65535) {
    throw new RangeError(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

/** How a server file starts the chat. */
export interface StartChatOptions {
  /** The runtime's adapter. */
  serve: Serve;
  /** The `PORT` environment variable. */
  port: string | undefined;
  /** The `HOST` environment variable; default 127.0.0.1. */
  hostname?: string | undefined;
  /** Registers `listener` for SIGINT and SIGTERM. */
  onSignal(listener: (signal: string) => void): void;
  /** Ends the process. */
  exit(code: number): never;
  /** The runtime's name, for the banner. */
  runtime: string;
  /** The `REDIS_URL` environment variable: share rooms with every server on this Redis. */
  redisUrl?: string | undefined;
}

/**
 * Serves the chat and prints `listening on http://127.0.0.1:PORT`; the first
 * SIGINT/SIGTERM shuts it down cleanly (every session gets 1001), a second one
 * exits at once.
 */
export async function startChat(options: StartChatOptions): Promise<PlinthServer> {
  let port: number;
  try {
    port = parsePort(options.port);
  } catch (error) {
    console.error((error as Error).message);
    return options.exit(2);
  }
  let container: ServerContainer | null = null;
  let closeShared = (): Promise<void> => Promise.resolve();
  if (options.redisUrl) {
    // Loaded only when asked for: without REDIS_URL the demo needs no Redis client.
    const { createSharedChat } = await import("./redis_rooms.ts");
    try {
      const shared = await createSharedChat(options.redisUrl);
      container = shared.container;
      closeShared = shared.close;
    } catch (error) {
      console.error((error as Error).message);
      return options.exit(1);
    }
  }
  const server = await options.serve(container ?? createChatContainer(), {
    port,
    hostname: options.hostname || "127.0.0.1",
    fallback: staticFiles(new URL("./public/", import.meta.url)),
  });
  const shared = options.redisUrl ? ` (rooms shared through ${options.redisUrl.replace(/\/\/[^@/]*@/, "//***@")})` : "";
  console.log(`plinth chat (${options.runtime}) listening on ${server.url}${shared}`);
  let stopping = false;
  options.onSignal((signal) => {
    if (stopping) options.exit(130);
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.shutdown({ timeoutMs: 2000 }).then(closeShared).then(
      () => options.exit(0),
      (error: unknown) => {
        console.error("shutdown failed:", error);
        options.exit(1);
      },
    );
  });
  return server;
}
