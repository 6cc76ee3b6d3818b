/**
 * The chat demo on Cloudflare: the same protocol as `chat_endpoint.ts`, one
 * hibernating Durable Object per room (`ChatRoom`), the page from the
 * Worker. `npm run start:cloudflare` serves it locally on workerd through
 * Miniflare; `wrangler deploy` (see `wrangler.toml`) deploys it.
 *
 * What changes from the other runtimes' server: a session must survive the
 * object's hibernation, so the session object is the session itself and the
 * nickname a user property (both kept in the socket's attachment); room
 * traffic goes out with `session.publish` plus a send to the sender; the
 * member list comes from the object's `openSessions`; the history lives in
 * the object's memory, so it is lost when workerd evicts an idle room; the
 * idle timeout is not enforced under hibernation (the page pings anyway).
 *
 * @module
 */
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Session } from "../../mod.ts";
import { durableObject, routeToDurableObject } from "../../adapters/cloudflare.ts";
import {
  CHAT_PATH,
  HISTORY_SIZE,
  MAX_FRAME_BYTES,
  MAX_NICK_CHARS,
  MAX_ROOM_CHARS,
  parseClientMessage,
  roomFromPath,
  validateNick,
  validateRoom,
} from "./chat_endpoint.ts";
import type { ChatMessage, ServerMessage } from "./chat_endpoint.ts";
import { CONTENT_TYPES, SECURITY_HEADERS } from "./page_headers.ts";

const now = (): string => new Date().toISOString();
const badRequest = (message: string): Response =>
  new Response(`${message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });

/** Each room's recent messages, by the room object's set of open sessions (one per object). */
const histories = new WeakMap<ReadonlySet<Session>, ChatMessage[]>();
const historyOf = (session: Session): ChatMessage[] => {
  let history = histories.get(session.openSessions);
  if (history === undefined) histories.set(session.openSessions, history = []);
  return history;
};

const topicOf = (session: Session): string => `room:${session.pathParameters.room}`;

/** Sends to everyone in the sender's room, the sender included. */
function toRoom(session: Session, message: ServerMessage): void {
  const text = JSON.stringify(message);
  session.publish(topicOf(session), text);
  if (session.isOpen) void session.asyncRemote.sendText(text);
}

function members(session: Session): ServerMessage {
  const nicks: string[] = [];
  for (const other of session.openSessions) nicks.push(String(other.userProperties.get("nick")));
  // One object serves the room, so its lists arrive in order: the clock is a version that only grows.
  return { type: "members", room: validateRoom(session.pathParameters.room)!, members: nicks, version: Date.now() };
}

const container = createContainer();
addEndpoint<Session>(container, CHAT_PATH, {
  maxTextMessageBufferSize: MAX_FRAME_BYTES,
  maxBinaryMessageBufferSize: MAX_FRAME_BYTES,
  configure(builder) {
    builder.configurator({
      modifyHandshake(_config, request) {
        const url = new URL(request.url);
        if (validateRoom(roomFromPath(url.pathname)) === null) {
          return badRequest(`room: 1-${MAX_ROOM_CHARS} characters, no '/' or control characters`);
        }
        if (validateNick(url.searchParams.get("nick")) === null) {
          return badRequest(`nick: 1-${MAX_NICK_CHARS} characters after trimming, no control characters`);
        }
      },
    });
  },
  onOpen(session) {
    const nick = validateNick(session.requestURI.searchParams.get("nick"))!;
    session.userProperties.set("nick", nick);
    const room = validateRoom(session.pathParameters.room)!;
    void session.asyncRemote.sendText(JSON.stringify({ type: "history", room, messages: historyOf(session) }));
    session.subscribe(topicOf(session));
    toRoom(session, { type: "join", nick, at: now() });
    toRoom(session, members(session));
    return session;
  },
  onText(session, frame) {
    const parsed = parseClientMessage(frame);
    if ("ping" in parsed) return;
    if ("error" in parsed) {
      void session.asyncRemote.sendText(JSON.stringify({ type: "error", code: parsed.error, message: parsed.message }));
      return;
    }
    const from = String(session.userProperties.get("nick"));
    const message: ChatMessage = { type: "message", from, text: parsed.text, at: now() };
    const history = historyOf(session);
    history.push(message);
    if (history.length > HISTORY_SIZE) history.splice(0, history.length - HISTORY_SIZE);
    toRoom(session, message);
  },
  onClose(session) {
    const nick = session.userProperties.get("nick");
    if (nick === undefined) return;
    const leave = JSON.stringify({ type: "leave", nick, at: now() });
    session.publish(topicOf(session), leave);
    session.publish(topicOf(session), JSON.stringify(members(session)));
  },
});

/** One chat room: a hibernating Durable Object. */
export class ChatRoom extends durableObject(container, { hibernate: true }) {}

/** Serves the page's files: from `env.ASSETS` when deployed, from `env.PAGES` (JSON, path → text) locally. */
async function page(request: Request, env: Record<string, unknown>): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("Method Not Allowed\n", { status: 405, headers: { allow: "GET, HEAD", ...SECURITY_HEADERS } });
  }
  let pathname = new URL(request.url).pathname;
  if (pathname.endsWith("/")) pathname += "index.html";
  const type = CONTENT_TYPES[pathname.slice(pathname.lastIndexOf("."))];
  let body: string | ArrayBuffer | undefined;
  const assets = env.ASSETS as { fetch(request: Request): Promise<Response> } | undefined;
  if (assets !== undefined) {
    const response = await assets.fetch(new Request(new URL(pathname, request.url)));
    if (response.ok) body = await response.arrayBuffer();
  } else if (typeof env.PAGES === "string") {
    body = (JSON.parse(env.PAGES) as Record<string, string>)[pathname];
  }
  if (type === undefined || body === undefined) {
    return new Response("Not Found\n", { status: 404, headers: { "content-type": "text/plain; charset=utf-8", ...SECURITY_HEADERS } });
  }
  const headers = { "content-type": type, "cache-control": "no-cache", ...SECURITY_HEADERS };
  return new Response(request.method === "HEAD" ? null : body, { status: 200, headers });
}

export default {
  fetch: routeToDurableObject(container, "ROOMS", {
    name: (_request, match) => match.pathParameters.room ?? "",
    fallback: page,
  }),
};
