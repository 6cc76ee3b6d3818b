/**
 * plinth on workerd, the same application as the control: `/echo` sends every message back,
 * `/chat` subscribes every session to one topic and sends each message to the room (the others
 * with `session.publish`, the sender with a send); each path is one hibernating Durable Object.
 * `/stats` goes to the launcher through the `STATS` binding.
 */
import { addEndpoint, createContainer } from "../../../mod.ts";
import type { Session } from "../../../mod.ts";
import { durableObject, routeToDurableObject } from "../../../adapters/cloudflare.ts";

const ROOM = "room";
const container = createContainer();
addEndpoint<Session>(container, "/echo", {
  onOpen: (session) => session,
  onText: (session, text) => void session.asyncRemote.sendText(text),
  onBinary: (session, data) => void session.asyncRemote.sendBinary(data),
});
addEndpoint<Session>(container, "/chat", {
  onOpen: (session) => {
    session.subscribe(ROOM);
    return session;
  },
  onText: (session, text) => {
    session.publish(ROOM, text);
    void session.asyncRemote.sendText(text);
  },
  onBinary: (session, data) => {
    session.publish(ROOM, data);
    void session.asyncRemote.sendBinary(data);
  },
});

export class Room extends durableObject(container, { hibernate: true }) {}

export default {
  fetch: routeToDurableObject(container, "ROOMS", {
    fallback: (request, env) => {
      if (new URL(request.url).pathname === "/stats") {
        return (env.STATS as { fetch(request: Request): Promise<Response> }).fetch(request);
      }
      return new Response("not found", { status: 404 });
    },
  }),
};
