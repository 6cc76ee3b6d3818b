/**
 * One WebSocket endpoint contract for every JavaScript runtime, after
 * Pedestal's `io.pedestal.websocket`: an endpoint is a plain object of
 * callbacks and settings, a container maps paths to endpoints, and
 * `startWsConnection` turns a session into a bounded send channel. Serve the
 * container with the adapter of your runtime: `@plinth/websocket/deno`,
 * `/bun`, `/node` or `/hono`.
 *
 * @example
 * ```ts
 * import { addEndpoint, createContainer } from "@plinth/websocket";
 * import { serve } from "@plinth/websocket/deno";
 *
 * const container = createContainer();
 * addEndpoint(container, "/echo", {
 *   onOpen: (session) => session,
 *   onText: (session, text) => void session.asyncRemote.sendText(text),
 * });
 * const server = await serve(container, { port: 8080 });
 * console.log(`listening on ${server.url}`);
 * ```
 *
 * @module
 */
export type { Backplane, BackplaneReceiver } from "./src/backplane.ts";
export { addEndpoint, addEndpoints, createContainer, ServerContainer } from "./src/container.ts";
export { CloseCodes, CloseReason } from "./src/close_reason.ts";
export { EndpointConfigBuilder } from "./src/endpoint_config.ts";
export type { Configurator, EndpointConfig } from "./src/endpoint_config.ts";
export { WebSocketSendAsync, wsSendAsync } from "./src/send_async.ts";
export { onOpenStartWsConnection, startWsConnection } from "./src/send_channel.ts";
export type { SendChannel, StartWsConnectionOptions } from "./src/send_channel.ts";
export type { Fallback, PlinthServer, ServeOptions } from "./src/serve.ts";
export type { ShutdownOptions } from "./src/server_scope.ts";
export type {
  ContainerOptions,
  EndpointMap,
  Logger,
  Outgoing,
  Payload,
  RemoteEndpoint,
  Respond,
  SelfSending,
  SendResult,
  Session,
} from "./src/types.ts";
