/**
 * The plinth bench application, one definition for the three runtimes: `/echo` sends every
 * message back through the session's send channel (`startWsConnection`), `/chat` subscribes every
 * session to one topic and broadcasts each message to the room with `container.publish` (sender
 * included, as the native controls do), and the adapter's `fallback` answers `GET /stats`.
 */
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { ContainerOptions, SendChannel, ServerContainer, Session } from "../../mod.ts";
import { statsResponse, STATS_PATH } from "./server_kit.ts";

const ROOM = "room";

/** A container with the bench's `/echo` and `/chat` endpoints (`options`: e.g. a backplane). */
export function benchContainer(options?: ContainerOptions): ServerContainer {
  const container = createContainer(options);
  addEndpoint<SendChannel>(container, "/echo", {
    onOpen: (session) => startWsConnection(session, { sendBufferSize: 64 }),
    onText: (channel, text) => void channel.put(text),
    onBinary: (channel, data) => void channel.put(data),
  });
  addEndpoint<Session>(container, "/chat", {
    onOpen: (session) => {
      session.subscribe(ROOM);
      return session;
    },
    onText: (_session, text) => container.publish(ROOM, text),
    onBinary: (_session, data) => container.publish(ROOM, data),
  });
  return container;
}

/** The `fallback` of every plinth bench server: `/stats`, else 404. */
export function benchFallback(request: Request): Response {
  if (new URL(request.url).pathname === STATS_PATH) return statsResponse();
  return new Response("not found", { status: 404 });
}
