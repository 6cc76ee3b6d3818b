/**
 * What the core needs of a runtime's server-side socket. Each adapter wraps
 * its runtime's socket in one object of this shape per connection, and calls
 * the session's `receiveText` / `receiveBinary` / `receiveClose` / `drained`
 * entry points directly: no event objects on the way in or out.
 * @module
 */

import type { NativeTopics } from "./topics.ts";
import type { WsSession } from "./session.ts";

/** A runtime's WebSocket, as the core drives it. */
export interface SocketLike {
  /** The runtime's own topics (Bun); absent where the core loops over subscribers. */
  readonly nativeTopics?: NativeTopics;
  /** Bytes accepted by `send` and not yet written to the network. */
  readonly bufferedAmount: number;
  /**
   * Sends one whole message: a string as a text frame, bytes as a binary frame.
   * Returns 0 when the runtime dropped it because the connection is gone, -1 when
   * it took it and may now hold buffered data, and a positive number when it
   * wrote it through (nothing left buffered). The core reads `bufferedAmount`
   * only after a -1, so a runtime that cannot tell returns -1.
   */
  send(data: string | Uint8Array): number;
  /**
   * Sends already-encoded UTF-8 as a text frame, where the runtime can (`ws`): a text published to
   * many subscribers is then encoded once, not once per subscriber. Returns as `send`.
   */
  sendText?(utf8: Uint8Array): number;
  /**
   * With `sendText`: encodes text the way this runtime sends bytes cheapest (`ws` sends a Node
   * `Buffer` as it is, and wraps any other `Uint8Array` per send). Default: `TextEncoder`.
   */
  readonly encodeText?: (text: string) => Uint8Array;
  /**
   * Sends a protocol ping, where the core runs the heartbeat for this runtime (the adapter then
   * calls the session's `ponged()` on each pong). Absent where the runtime pings by itself
   * (Deno's `idleTimeout`) or pongs cannot be seen.
   */
  ping?(): void;
  /**
   * True where the server may be evicted while the connection stays open (a hibernating Durable
   * Object): the core then starts no idle timer, since a pending timer would keep the server awake.
   */
  readonly hibernates?: boolean;
  /**
   * Called once `onOpen` settled, with its value, before any message is delivered: a runtime that
   * must save the session (a hibernating Durable Object) stores it here, and throws (a `TypeError`
   * saying why) when it cannot; the session then fails as if `onOpen` had thrown (`onError`, 1011).
   */
  keepSessionObject?(session: WsSession, sessionObject: unknown): void;
  /** Called after the session subscribed or unsubscribed, for a runtime that saves its topics. */
  topicsChanged?(session: WsSession): void;
  /** Starts the closing handshake with a code an endpoint may send. */
  close(code: number, reason: string): void;
  /** Drops the connection at once, without a closing handshake. */
  terminate(): void;
}

