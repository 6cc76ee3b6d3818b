/**
 * The chat demo's endpoint, shared by the Node, Deno and Bun servers and built
 * only on the public API of `@plinth/websocket` (`mod.ts`).
 *
 * Protocol (JSON text frames, every message has a `type`):
 *
 * - client → server: `{"type":"message","text":"…"}`, and `{"type":"ping"}`
 *   (no answer) to stay under the idle timeout.
 * - server → client: `history` (the room's last 50 messages, sent once on
 *   join), `members` (the current member list, broadcast on every join and
 *   leave, with a `version` that grows with each change: a client keeps the
 *   highest), `join`, `leave`, `message` (`from`, `text`, `at`) and `error`
 *   (`code`, `message`) for a message that never reached the room.
 *
 * Rooms come from the path template `/chat/{room}`, the nickname from
 * `?nick=`. A bad nickname or room name refuses the handshake with a 400.
 * Rooms live in a {@linkcode RoomStore}: in memory (one server), or in Redis
 * (`redis_rooms.ts`: several servers share them).
 *
 * @example
 * ```ts
 * import { createChatContainer } from "./chat_endpoint.ts";
 * import { serve } from "../../adapters/deno.ts";
 *
 * const server = await serve(createChatContainer(), { port: 8080 });
 * console.log(`listening on ${server.url}`);
 * ```
 *
 * @module
 */
import { addEndpoint, createContainer, startWsConnection } from "../../mod.ts";
import type { CloseReason, EndpointMap, SendChannel, ServerContainer, Session } from "../../mod.ts";

/** The endpoint's path template. */
export const CHAT_PATH = "/chat/{room}";
/** Largest client frame in UTF-8 bytes; a bigger one closes the session with 1009. */
export const MAX_FRAME_BYTES = 4 * 1024;
/** Longest chat text in characters (code points); a longer one gets an `error` back. */
export const MAX_TEXT_CHARS = 1000;
/** Longest nickname in characters (code points), after trimming. */
export const MAX_NICK_CHARS = 32;
/** Longest room name in characters (code points), after trimming. */
export const MAX_ROOM_CHARS = 64;
/** How many messages a room keeps and sends to a new member. */
export const HISTORY_SIZE = 50;
/** Rooms kept in memory at most; beyond it the oldest empty room is forgotten. */
export const MAX_ROOMS = 1000;
/**
 * A session that sends and receives nothing this long is closed (1001), so a
 * vanished client leaves the member list; the page pings every 30 s.
 */
export const IDLE_TIMEOUT_MS = 120_000;

/** A chat message as the server stores and sends it. */
export interface ChatMessage {
  /** Always `"message"`. */
  type: "message";
  /** The sender's nickname. */
  from: string;
  /** The text, as typed (trimmed). */
  text: string;
  /** When the server received it, ISO 8601. */
  at: string;
}

/** Why a client message was refused (the `code` of an `error` message). */
export type ChatErrorCode = "bad_json" | "bad_message" | "unknown_type" | "empty_text" | "text_too_long";

/** Everything the server sends. */
export type ServerMessage =
  | ChatMessage
  | { type: "history"; room: string; messages: ChatMessage[] }
  | { type: "members"; room: string; members: string[]; version: number }
  | { type: "join"; nick: string; at: string }
  | { type: "leave"; nick: string; at: string }
  | { type: "error"; code: ChatErrorCode; message: string };

/** What a member sees of a room when it joins. */
export interface Joined {
  /** The room's last messages, oldest first. */
  readonly history: ChatMessage[];
  /** The member list after the join, in join order. */
  readonly members: string[];
  /** The member list's version (grows with every change). */
  readonly version: number;
}

/** A room's member list after a change. */
export interface Members {
  readonly members: string[];
  readonly version: number;
}

/**
 * Where rooms live: their members and history. {@linkcode MemoryRoomStore}
 * keeps them in the process; `RedisRoomStore` (`redis_rooms.ts`) in Redis,
 * shared by every server.
 */
export interface RoomStore {
  /** Adds member `id` (`nick`) to `room`. */
  join(room: string, id: string, nick: string): Promise<Joined>;
  /** Removes member `id` from `room`; null when it was not there. */
  leave(room: string, id: string): Promise<Members | null>;
  /** Appends `message` to `room`'s history (the last {@linkcode HISTORY_SIZE} are kept). */
  record(room: string, message: ChatMessage): void;
  /** Called with a room's list when it changed without a join or leave here (members of a crashed server expired). */
  onMembersChanged: ((room: string, members: Members) => void) | null;
}

/** The session object of a chat connection. */
interface Member {
  readonly session: Session;
  readonly channel: SendChannel;
  readonly nick: string;
  readonly room: string;
  readonly topic: string;
}

/** Control and format characters a nickname or room name may not contain. */
const FORBIDDEN = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/** Length in code points (what a user counts as characters, near enough). */
const charCount = (text: string): number => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

/**
 * Checks a nickname: trimmed, 1–{@linkcode MAX_NICK_CHARS} characters, no
 * control characters.
 *
 * @returns the trimmed nickname, or `null` when it is not acceptable
 *
 * @example
 * ```ts
 * import { validateNick } from "./chat_endpoint.ts";
 * validateNick("  ada "); // "ada"
 * validateNick("");       // null
 * ```
 */
export function validateNick(raw: string | null | undefined): string | null {
  if (typeof raw !== "string") return null;
  const nick = raw.trim();
  const length = charCount(nick);
  if (length < 1 || length > MAX_NICK_CHARS || FORBIDDEN.test(nick)) return null;
  return nick;
}

/**
 * Checks a room name: trimmed, 1–{@linkcode MAX_ROOM_CHARS} characters, no
 * control characters and no `/`.
 *
 * @returns the room name, or `null` when it is not acceptable
 *
 * @example
 * ```ts
 * import { validateRoom } from "./chat_endpoint.ts";
 * validateRoom("lobby"); // "lobby"
 * ```
 */
export function validateRoom(raw: string | null | undefined): string | null {
  if (typeof raw !== "string") return null;
  const room = raw.trim();
  const length = charCount(room);
  if (length < 1 || length > MAX_ROOM_CHARS || room.includes("/") || FORBIDDEN.test(room)) return null;
  return room;
}

/** The room name in a request path `/chat/<room>`, percent-decoded; `null` when absent or malformed. */
export function roomFromPath(pathname: string): string | null {
  const prefix = "/chat/";
  if (!pathname.startsWith(prefix)) return null;
  try {
    return decodeURIComponent(pathname.slice(prefix.length));
  } catch {
    return null;
  }
}

const badRequest = (message: string): Response =>
  new Response(`${message}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });

/** One room in memory. */
interface Room {
  /** The last {@linkcode HISTORY_SIZE} messages, oldest first. */
  readonly history: ChatMessage[];
  /** Member id → nickname, in join order. */
  readonly members: Map<string, string>;
  version: number;
}

/**
 * Rooms in this process's memory: what one server needs.
 *
 * @example
 * ```ts
 * import { chatContainer, MemoryRoomStore } from "./chat_endpoint.ts";
 * const container = chatContainer(new MemoryRoomStore());
 * ```
 */
export class MemoryRoomStore implements RoomStore {
  readonly #rooms = new Map<string, Room>();
  /** Never called: members here leave only by leaving. */
  onMembersChanged: ((room: string, members: Members) => void) | null = null;

  join(name: string, id: string, nick: string): Promise<Joined> {
    const room = this.#room(name);
    room.members.set(id, nick);
    room.version++;
    return Promise.resolve({ history: room.history.slice(), members: [...room.members.values()], version: room.version });
  }

  leave(name: string, id: string): Promise<Members | null> {
    const room = this.#rooms.get(name);
    if (room === undefined || !room.members.delete(id)) return Promise.resolve(null);
    room.version++;
    return Promise.resolve({ members: [...room.members.values()], version: room.version });
  }

  record(name: string, message: ChatMessage): void {
    const { history } = this.#room(name);
    history.push(message);
    if (history.length > HISTORY_SIZE) history.splice(0, history.length - HISTORY_SIZE);
  }

  /** The room called `name`, created on first use. */
  #room(name: string): Room {
    let room = this.#rooms.get(name);
    if (room === undefined) {
      room = { history: [], members: new Map(), version: 0 };
      this.#rooms.set(name, room);
      this.#evict();
    } else {
      // Keep the map in least-recently-used order for eviction.
      this.#rooms.delete(name);
      this.#rooms.set(name, room);
    }
    return room;
  }

  /** Forgets the oldest empty rooms while there are more than {@linkcode MAX_ROOMS}. */
  #evict(): void {
    if (this.#rooms.size <= MAX_ROOMS) return;
    for (const [name, room] of this.#rooms) {
      if (this.#rooms.size <= MAX_ROOMS) break;
      if (room.members.size === 0) this.#rooms.delete(name);
    }
  }
}

const now = (): string => new Date().toISOString();

/**
 * Parses and checks one client frame.
 * @returns the text of a valid chat message, or the error to send back
 *
 * @example
 * ```ts
 * import { parseClientMessage } from "./chat_endpoint.ts";
 * parseClientMessage('{"type":"message","text":"hi"}'); // { text: "hi" }
 * ```
 */
export function parseClientMessage(
  frame: string,
): { text: string } | { ping: true } | { error: ChatErrorCode; message: string } {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { error: "bad_json", message: "messages must be JSON" };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { error: "bad_message", message: "a message must be a JSON object with a type" };
  }
  const { type, text } = value as { type?: unknown; text?: unknown };
  if (typeof type !== "string") return { error: "bad_message", message: "a message must have a string type" };
  if (type === "ping") return { ping: true };
  if (type !== "message") return { error: "unknown_type", message: "unknown message type" };
  if (typeof text !== "string") return { error: "bad_message", message: "a message needs a string text" };
  const trimmed = text.trim();
  if (trimmed === "") return { error: "empty_text", message: "the text is empty" };
  if (charCount(trimmed) > MAX_TEXT_CHARS) {
    return { error: "text_too_long", message: `the text is longer than ${MAX_TEXT_CHARS} characters` };
  }
  return { text: trimmed };
}

/**
 * The chat endpoint for a container whose rooms live in `store`.
 * Each session's own messages (`history`, `error`) go through its send
 * channel; room traffic (`join`, `leave`, `members`, `message`) is published
 * to the room's topic with `container.publish`, so the sender sees its own
 * (and, with a backplane, so does every other server).
 */
function chatEndpoint(container: ServerContainer, store: RoomStore): EndpointMap<Member> {
  const topicOf = (room: string): string => `room:${room}`;
  const broadcast = (room: string, message: ServerMessage): void => container.publish(topicOf(room), JSON.stringify(message));
  const memberList = (room: string, { members, version }: Members): ServerMessage => ({
    type: "members",
    room,
    members,
    version,
  });
  store.onMembersChanged = (room, members) => broadcast(room, memberList(room, members));
  return {
    idleTimeoutMs: IDLE_TIMEOUT_MS,
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
    async onOpen(session) {
      // The handshake already checked both; these cannot be null here.
      const room = validateRoom(session.pathParameters.room)!;
      const nick = validateNick(session.requestURI.searchParams.get("nick"))!;
      const topic = topicOf(room);
      const channel = startWsConnection(session, { sendBufferSize: 16 });
      const joined = await store.join(room, session.id, nick);
      const history: ServerMessage = { type: "history", room, messages: joined.history };
      void channel.put(JSON.stringify(history));
      session.subscribe(topic);
      broadcast(room, { type: "join", nick, at: now() });
      broadcast(room, memberList(room, joined));
      return { session, channel, nick, room, topic };
    },
    onText(member, frame) {
      const parsed = parseClientMessage(frame);
      if ("ping" in parsed) return;
      if ("error" in parsed) {
        const error: ServerMessage = { type: "error", code: parsed.error, message: parsed.message };
        // offer: a client flooding bad frames faster than it reads loses error replies, not memory.
        member.channel.offer(JSON.stringify(error));
        return;
      }
      const message: ChatMessage = { type: "message", from: member.nick, text: parsed.text, at: now() };
      store.record(member.room, message);
      broadcast(member.room, message);
    },
    async onClose(member: Member | undefined, _session: Session, _reason: CloseReason) {
      // undefined when onOpen threw; nothing was registered then.
      if (member === undefined) return;
      const members = await store.leave(member.room, member.session.id);
      if (members === null) return;
      broadcast(member.room, { type: "leave", nick: member.nick, at: now() });
      broadcast(member.room, memberList(member.room, members));
    },
  };
}

/**
 * A container serving the chat at {@linkcode CHAT_PATH} with rooms in `store`.
 *
 * @example
 * ```ts
 * import { chatContainer, MemoryRoomStore } from "./chat_endpoint.ts";
 * import { createContainer } from "../../mod.ts";
 * const container = chatContainer(new MemoryRoomStore(), createContainer());
 * ```
 */
export function chatContainer(store: RoomStore, container: ServerContainer = createContainer()): ServerContainer {
  addEndpoint(container, CHAT_PATH, chatEndpoint(container, store));
  return container;
}

/**
 * A fresh container serving the chat at {@linkcode CHAT_PATH}, with its own
 * in-memory rooms (history and members): one per server, or one per test.
 *
 * @example
 * ```ts
 * import { createChatContainer } from "./chat_endpoint.ts";
 * import { serve } from "../../adapters/deno.ts";
 * const server = await serve(createChatContainer(), { port: 0 });
 * await server.shutdown();
 * ```
 */
export function createChatContainer(): ServerContainer {
  return chatContainer(new MemoryRoomStore());
}
