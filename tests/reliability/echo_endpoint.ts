/**
 * The echo endpoint of the reliability suite, on the public API only: each
 * session's object is a send channel (`startWsConnection`), and every echo
 * is put with a response target booked in a {@linkcode SessionLedger}.
 * @module
 */
import { onOpenStartWsConnection } from "../../mod.ts";
import type { EndpointMap, SendChannel } from "../../mod.ts";
import type { SessionLedger } from "./session_ledger.ts";

/** Options of {@linkcode echoEndpoint}. */
export interface EchoOptions {
  /** The channel's buffer; default 16. */
  sendBufferSize?: number;
  /** Endpoint settings to add (limits, `maxSessions`, `sendTimeoutMs`, …). */
  settings?: Partial<EndpointMap<SendChannel>>;
}

/** An endpoint that echoes text and binary messages through its send channel, booked in `ledger`. */
export function echoEndpoint(ledger: SessionLedger, options: EchoOptions = {}): EndpointMap<SendChannel> {
  return ledger.wrap<SendChannel>({
    idleTimeoutMs: 0,
    ...options.settings,
    onOpen: onOpenStartWsConnection({ sendBufferSize: options.sendBufferSize ?? 16 }),
    onText: (channel, text) => void channel.put([text, ledger.respond()]),
    onBinary: (channel, data) => void channel.put([data, ledger.respond()]),
  });
}
