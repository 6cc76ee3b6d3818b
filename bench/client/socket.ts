/**
 * The load client's WebSocket, over whichever client is fastest on the runtime executing it:
 * `ws` on Node, the built-in `WebSocket` on Bun. Workloads only see {@link BenchSocket}.
 */
import process from "node:process";

/** A received message: text as string (Bun) or bytes (`ws`), binary as bytes. */
export type MessageData = string | Uint8Array | ArrayBuffer;

/** Callbacks a workload attaches to a socket. */
export interface SocketHandlers {
  onMessage(data: MessageData, isBinary: boolean): void;
  onClose?(): void;
}

/** The minimal socket surface the workloads use. */
export interface BenchSocket {
  send(data: string | Uint8Array): void;
  close(): void;
}

type Opener = (url: string, handlers: SocketHandlers, localAddress?: string) => Promise<BenchSocket>;

let opener: Opener | undefined;

/** The name of the WebSocket client in use (`ws` or `bun`), for the report. */
export function clientName(): string {
  return process.versions.bun ? "bun" : "ws";
}

async function wsOpener(): Promise<Opener> {
  const { WebSocket } = await import("ws");
  return (url, handlers, localAddress) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, localAddress === undefined ? { perMessageDeflate: false } : { perMessageDeflate: false, localAddress });
      ws.on("error", (err) => reject(err));
      ws.on("message", (data, isBinary) => handlers.onMessage(data as Uint8Array, isBinary));
      ws.on("close", () => handlers.onClose?.());
      ws.on("open", () =>
        resolve({ send: (data) => ws.send(data), close: () => ws.close() }),
      );
    });
}

function webOpener(): Opener {
  return (url, handlers) =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      ws.binaryType = "arraybuffer";
      ws.onerror = () => reject(new Error(`WebSocket error on ${url}`));
      ws.onmessage = (event: MessageEvent<string | ArrayBuffer>) =>
        handlers.onMessage(event.data, typeof event.data !== "string");
      ws.onclose = () => handlers.onClose?.();
      ws.onopen = () => resolve({ send: (data) => ws.send(data as string | Uint8Array<ArrayBuffer>), close: () => ws.close() });
    });
}

/**
 * Opens a WebSocket and resolves once it is open; rejects on a failed handshake. `localAddress`
 * (e.g. `127.0.0.2`, for more than one source address's ephemeral ports) needs `ws` on Node:
 * Bun's WebSocket cannot choose its source address.
 */
export async function openSocket(url: string, handlers: SocketHandlers, localAddress?: string): Promise<BenchSocket> {
  if (localAddress !== undefined && process.versions.bun) throw new Error("localAddress needs the Node client (ws)");
  opener ??= process.versions.bun ? webOpener() : await wsOpener();
  return opener(url, handlers, localAddress);
}

/** The first byte (char code) of a message, without decoding the rest. */
export function firstCode(data: MessageData): number {
  if (typeof data === "string") return data.charCodeAt(0);
  const bytes = data instanceof Uint8Array ? data : new Uint8Array(data);
  return bytes[0] ?? -1;
}

/** The whole message as text, for checks (smoke), not for hot paths. */
export function asText(data: MessageData): string {
  if (typeof data === "string") return data;
  return new TextDecoder().decode(data);
}
