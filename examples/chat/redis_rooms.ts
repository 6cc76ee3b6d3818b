/**
 * The chat's rooms in Redis, so several servers — on any runtime — share
 * them: the room traffic rides the Redis backplane (`@plinth/websocket/redis`),
 * and the member list and history live in Redis keys that every server reads.
 *
 * Keys, per room (`PREFIX` is `chat:`):
 * - `chat:room:<name>:history` — a list of the last {@linkcode HISTORY_SIZE}
 *   messages (JSON), expiring {@linkcode HISTORY_TTL_S} after the last one;
 * - `chat:room:<name>:members` — a sorted set of members (JSON: join time,
 *   server-wide id, nick) scored by when they expire: each server refreshes
 *   its own members every {@linkcode MEMBER_REFRESH_MS}, so the members of a
 *   server that crashed vanish after {@linkcode MEMBER_TTL_MS}, and the
 *   servers that see them go tell their clients;
 * - `chat:room:<name>:version` — the member list's version.
 *
 * @example
 * ```ts
 * import { createSharedChat } from "./redis_rooms.ts";
 * import { serve } from "../../adapters/deno.ts";
 * const chat = await createSharedChat("redis://127.0.0.1:6379");
 * const server = await serve(chat.container, { port: 0 });
 * await server.shutdown();
 * await chat.close();
 * ```
 *
 * @module
 */
import { createClient } from "redis";
import { createContainer } from "../../mod.ts";
import type { ServerContainer } from "../../mod.ts";
import { redisBackplane } from "../../adapters/redis.ts";
import { chatContainer, HISTORY_SIZE } from "./chat_endpoint.ts";
import type { ChatMessage, Joined, Members, RoomStore } from "./chat_endpoint.ts";

/** Prefix of the chat's Redis keys and channels. */
export const PREFIX = "chat:";
/** A member not refreshed for this long is gone (its server crashed). */
export const MEMBER_TTL_MS = 30_000;
/** How often a server refreshes its members (and sweeps expired ones). */
export const MEMBER_REFRESH_MS = 10_000;
/** History of a room nobody spoke in for this long is forgotten. */
export const HISTORY_TTL_S = 24 * 3600;

type Client = ReturnType<typeof createClient>;

/** One member as stored: its entry in the sorted set, kept to refresh it. */
interface LocalMember {
  readonly entry: string;
}

const keys = (room: string) => ({
  history: `${PREFIX}room:${room}:history`,
  members: `${PREFIX}room:${room}:members`,
  version: `${PREFIX}room:${room}:version`,
});

/** Nicknames in join order, from the sorted set's entries. */
function nicks(entries: string[]): string[] {
  return entries
    .map((entry) => JSON.parse(entry) as [number, string, string])
    .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]))
    .map((member) => member[2]);
}

/**
 * Rooms in Redis. When Redis is unreachable a join still works with what
 * this server knows (empty history, itself as the member list), and errors
 * go to the logger.
 */
export class RedisRoomStore implements RoomStore {
  onMembersChanged: ((room: string, members: Members) => void) | null = null;
  /** This server's id: member ids are `<server>/<session>`. */
  readonly #server = crypto.randomUUID();
  /** Room → session id → its member entry. */
  readonly #local = new Map<string, Map<string, LocalMember>>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(readonly client: Client, readonly logger: { error(msg: string, err?: unknown): void } = console) {
    this.#timer = setInterval(() => void this.#refresh(), MEMBER_REFRESH_MS);
  }

  async join(room: string, id: string, nick: string): Promise<Joined> {
    const entry = JSON.stringify([Date.now(), `${this.#server}/${id}`, nick]);
    let local = this.#local.get(room);
    if (local === undefined) this.#local.set(room, (local = new Map()));
    local.set(id, { entry });
    const k = keys(room);
    const now = Date.now();
    try {
      const [, , entries, version, history] = await this.client.multi()
        .zAdd(k.members, { score: now + MEMBER_TTL_MS, value: entry })
        .zRemRangeByScore(k.members, "-inf", now)
        .zRange(k.members, 0, -1)
        .incr(k.version)
        .lRange(k.history, 0, -1)
        .pExpire(k.members, MEMBER_TTL_MS * 2)
        .expire(k.version, HISTORY_TTL_S)
        .exec() as unknown as [unknown, unknown, string[], number, string[]];
      return {
        history: history.map((line) => JSON.parse(line) as ChatMessage),
        members: nicks(entries),
        version: Number(version),
      };
    } catch (error) {
      this.logger.error(`chat: joining ${JSON.stringify(room)} in Redis failed`, error);
      return { history: [], members: [nick], version: 0 };
    }
  }

  async leave(room: string, id: string): Promise<Members | null> {
    const local = this.#local.get(room);
    const member = local?.get(id);
    if (local === undefined || member === undefined) return null;
    local.delete(id);
    if (local.size === 0) this.#local.delete(room);
    const k = keys(room);
    try {
      const [, entries, version] = await this.client.multi()
        .zRem(k.members, member.entry)
        .zRange(k.members, 0, -1)
        .incr(k.version)
        .exec() as unknown as [unknown, string[], number];
      return { members: nicks(entries), version: Number(version) };
    } catch (error) {
      this.logger.error(`chat: leaving ${JSON.stringify(room)} in Redis failed`, error);
      return null;
    }
  }

  record(room: string, message: ChatMessage): void {
    const k = keys(room);
    this.client.multi()
      .rPush(k.history, JSON.stringify(message))
      .lTrim(k.history, -HISTORY_SIZE, -1)
      .expire(k.history, HISTORY_TTL_S)
      .exec()
      .catch((error: unknown) => this.logger.error(`chat: storing a message of ${JSON.stringify(room)} failed`, error));
  }

  /** Stops refreshing; this server's members then expire unless they left. */
  close(): void {
    clearInterval(this.#timer);
  }

  /** Refreshes this server's members and sweeps expired ones (then tells the room). */
  async #refresh(): Promise<void> {
    const now = Date.now();
    for (const [room, local] of this.#local) {
      const k = keys(room);
      try {
        const add = this.client.multi();
        for (const { entry } of local.values()) add.zAdd(k.members, { score: now + MEMBER_TTL_MS, value: entry }, { condition: "XX" });
        const replies = await add
          .zRemRangeByScore(k.members, "-inf", now)
          .pExpire(k.members, MEMBER_TTL_MS * 2)
          .exec() as unknown as unknown[];
        const removed = Number(replies[replies.length - 2]);
        if (removed > 0) {
          const [entries, version] = await this.client.multi().zRange(k.members, 0, -1).incr(k.version).exec() as unknown as [
            string[],
            number,
          ];
          this.onMembersChanged?.(room, { members: nicks(entries), version: Number(version) });
        }
      } catch (error) {
        this.logger.error(`chat: refreshing the members of ${JSON.stringify(room)} failed`, error);
      }
    }
  }
}

/** A chat container whose rooms every server on the same Redis shares. */
export interface SharedChat {
  readonly container: ServerContainer;
  /** Stops the member refresh and closes both Redis connections (call after the server's shutdown). */
  close(): Promise<void>;
}

/**
 * The chat on Redis: a container with a Redis backplane (room traffic) and
 * a {@linkcode RedisRoomStore} (members and history).
 * @throws {Error} when Redis cannot be reached at start
 */
export async function createSharedChat(url: string): Promise<SharedChat> {
  const backplane = redisBackplane({ url, prefix: PREFIX });
  const container = createContainer({ backplane });
  const client: Client = createClient({ url, disableOfflineQueue: true });
  client.on("error", () => {
    // The backplane reports the outage once; the store reports the commands that fail.
  });
  const store = new RedisRoomStore(client);
  try {
    await Promise.all([backplane.ready, client.connect()]);
  } catch (error) {
    store.close();
    client.destroy();
    await backplane.close();
    throw error;
  }
  chatContainer(store, container);
  return {
    container,
    async close() {
      store.close();
      await Promise.all([backplane.close(), client.close().catch(() => {})]);
    },
  };
}
