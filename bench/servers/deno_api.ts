/**
 * The few Deno globals the Deno bench servers use, typed minimally so the repo's `tsc`
 * (which knows Node and Bun types, not Deno's) can check those servers too.
 * At run time this is just `globalThis.Deno`.
 */

/** The server-side socket `Deno.upgradeWebSocket` returns (a Web `WebSocket`). */
export interface DenoSocket {
  readyState: number;
  binaryType: "blob" | "arraybuffer";
  send(data: string | ArrayBufferLike | ArrayBufferView): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent<string | ArrayBuffer>) => void) | null;
  onclose: ((event: Event) => void) | null;
  onerror: ((event: Event) => void) | null;
}

/** What `Deno.serve` returns. */
export interface DenoHttpServer {
  shutdown(): Promise<void>;
}

/** The subset of the `Deno` namespace the bench servers use. */
export interface DenoApi {
  serve(
    options: { hostname: string; port: number; reusePort?: boolean; onListen(addr: { port: number }): void },
    handler: (request: Request) => Response | Promise<Response>,
  ): DenoHttpServer;
  upgradeWebSocket(request: Request, options?: { idleTimeout?: number }): { socket: DenoSocket; response: Response };
}

/** Returns the running Deno's namespace; throws when not running under Deno. */
export function denoApi(): DenoApi {
  const deno = (globalThis as unknown as { Deno?: DenoApi }).Deno;
  if (!deno) throw new Error("this bench server needs Deno");
  return deno;
}
