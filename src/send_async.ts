import { isThenable } from "./session.ts";
import type { Payload, RemoteEndpoint, SendResult } from "./types.ts";
import { describe } from "./validate.ts";

/**
 * The extension point of {@linkcode wsSendAsync}: a value with a method under
 * this symbol sends itself (Pedestal's `WebSocketSendAsync` protocol).
 *
 * @example
 * ```ts
 * import { WebSocketSendAsync, wsSendAsync } from "@plinth/websocket";
 * import type { RemoteEndpoint } from "@plinth/websocket";
 * class Point {
 *   constructor(readonly x: number, readonly y: number) {}
 *   [WebSocketSendAsync](remote: RemoteEndpoint) {
 *     return remote.sendText(JSON.stringify({ x: this.x, y: this.y }));
 *   }
 * }
 * // later: await wsSendAsync(new Point(1, 2), session.asyncRemote);
 * ```
 */
export const WebSocketSendAsync: unique symbol = Symbol.for("@plinth/websocket.WebSocketSendAsync");

const toResult = (error: unknown): SendResult => (error instanceof Error ? error : new Error(String(error)));

/**
 * Sends `msg` through `remote`: a string as a text frame; an ArrayBuffer, view
 * or Blob as a binary frame; a value with a `[WebSocketSendAsync]` method sends
 * itself. Resolves with `"success"`, `"closed"` or an Error — never rejects;
 * a value of any other type resolves to a `TypeError`.
 *
 * @throws {TypeError} when `remote` is not a RemoteEndpoint
 *
 * @example
 * ```ts
 * import { wsSendAsync } from "@plinth/websocket";
 * import type { Session } from "@plinth/websocket";
 * async function notify(session: Session) {
 *   const result = await wsSendAsync("ready", session.asyncRemote);
 *   console.log(result); // "success" or "closed" or an Error
 * }
 * ```
 */
export function wsSendAsync(msg: Payload, remote: RemoteEndpoint): Promise<SendResult> {
  if (remote === null || typeof remote !== "object" || typeof remote.sendText !== "function") {
    throw new TypeError(`wsSendAsync: remote must be a RemoteEndpoint (session.asyncRemote), got ${describe(remote)}`);
  }
  try {
    if (typeof msg === "string") return remote.sendText(msg);
    if (msg instanceof ArrayBuffer || ArrayBuffer.isView(msg) || msg instanceof Blob) return remote.sendBinary(msg);
    if (msg !== null && typeof msg === "object") {
      const send = (msg as { [WebSocketSendAsync]?: unknown })[WebSocketSendAsync];
      if (typeof send === "function") {
        const sent: unknown = send.call(msg, remote);
        return isThenable(sent) ? Promise.resolve(sent as Promise<SendResult>).catch(toResult) : Promise.resolve(sent as SendResult);
      }
    }
  } catch (error) {
    return Promise.resolve(toResult(error));
  }
  return Promise.resolve(
    new TypeError(
      `wsSendAsync: msg must be a string, ArrayBuffer, ArrayBufferView, Blob or implement [WebSocketSendAsync], got ${
        describe(msg)
      }`,
    ),
  );
}
