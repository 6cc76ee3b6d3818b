/**
 * What the scale bench's servers share (`bench/scale.ts`, method in `bench/README.md`): their
 * settings from the environment, the `/room` and `/broadcast` paths, and the clock the broadcast
 * timing is read on. Runs on Deno, Bun and Node (only `node:process` and `performance`).
 */
import process from "node:process";

/** WebSocket path of the room: every connection is subscribed, none sends. */
export const ROOM_PATH = "/room";
/** `GET /broadcast`: one publish to the whole room; answers {@link BroadcastTiming} JSON. */
export const BROADCAST_PATH = "/broadcast";
/** The one topic of the room. */
export const ROOM_TOPIC = "room";
/** The message every broadcast sends (small: the figure is the fan-out, not the bytes). */
export const BROADCAST_MESSAGE = "broadcast";

/** What `GET /broadcast` answers: the server's clock just before and just after the publish call. */
export interface BroadcastTiming {
  /** Epoch milliseconds (sub-millisecond precision) just before the publish. */
  t0: number;
  /** Epoch milliseconds just after the publish call returned. */
  t1: number;
}

/** The scale bench's settings, from the environment the runner starts a server with. */
export interface ScaleSettings {
  /** Port to listen on: 0 = any (the first process of a shared port), else the shared port. */
  port: number;
  /** Serve with `reusePort` (one process per core behind one port). */
  reusePort: boolean;
  /** The room's idle timeout; 0 = none. */
  idleTimeoutMs: number;
  /** The room's heartbeat interval; 0 = none. */
  pingIntervalMs: number;
  /** A Redis URL: plinth's topics ride the Redis backplane (topics across processes); "" = none. */
  redisUrl: string;
}

function envNumber(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  return n;
}

/** Reads `PLINTH_SCALE_PORT`, `PLINTH_SCALE_REUSE_PORT`, `PLINTH_SCALE_IDLE_TIMEOUT_MS`, `PLINTH_SCALE_PING_INTERVAL_MS`, `PLINTH_SCALE_REDIS_URL`. */
export function scaleSettings(): ScaleSettings {
  return {
    port: envNumber("PLINTH_SCALE_PORT", 0),
    reusePort: process.env.PLINTH_SCALE_REUSE_PORT === "1",
    idleTimeoutMs: envNumber("PLINTH_SCALE_IDLE_TIMEOUT_MS", 0),
    pingIntervalMs: envNumber("PLINTH_SCALE_PING_INTERVAL_MS", 0),
    redisUrl: process.env.PLINTH_SCALE_REDIS_URL ?? "",
  };
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes of one machine. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs `publish` between two readings of {@link epochMs}; the timing as JSON text. */
export function timedBroadcastBody(publish: () => void): string {
  const t0 = epochMs();
  publish();
  const t1 = epochMs();
  const timing: BroadcastTiming = { t0, t1 };
  return JSON.stringify(timing);
}

/** {@link timedBroadcastBody} as a `Response`, for servers built on the Fetch API. */
export function timedBroadcast(publish: () => void): Response {
  return new Response(timedBroadcastBody(publish), { headers: { "content-type": "application/json" } });
}
