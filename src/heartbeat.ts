/**
 * The heartbeat's one shared timer per interval: every `pingIntervalMs` it
 * visits the open sessions of the endpoints with that interval (their
 * `openSessions`, so a session costs the heartbeat no entry of its own) and
 * each one pings its peer, or drops it when the previous ping went
 * unanswered. Runtimes that ping by themselves (Deno's `idleTimeout`) are
 * skipped: their sessions have no `ping`.
 * @module
 */
import type { EndpointRegistration } from "./container.ts";

/** The default `pingIntervalMs`: 30 s, half of nginx's default 60 s `proxy_read_timeout`. */
export const DEFAULT_PING_INTERVAL_MS = 30_000;

/** What the heartbeat asks of a session (see `WsSession.heartbeat`). */
export interface Beating {
  /** Pings the peer, or drops it when it has not answered the previous ping. */
  heartbeat(): void;
}

/** One timer, and the endpoints it serves. */
class Beat {
  readonly registrations = new Set<EndpointRegistration>();
  timer: ReturnType<typeof setInterval> | undefined = undefined;
}

const beats = new Map<number, Beat>();

function tick(beat: Beat, intervalMs: number): void {
  for (const registration of beat.registrations) {
    const sessions = registration.openSessions;
    if (sessions.size === 0) {
      // No session left: the endpoint leaves until its next session opens.
      beat.registrations.delete(registration);
      registration.beating = false;
      continue;
    }
    for (const session of sessions) (session as unknown as Beating).heartbeat();
  }
  if (beat.registrations.size === 0) {
    clearInterval(beat.timer);
    beat.timer = undefined;
    beats.delete(intervalMs);
  }
}

/** Makes sure `registration`'s open sessions are visited by the timer of its interval. */
export function beatFor(registration: EndpointRegistration): void {
  if (registration.beating) return;
  const intervalMs = registration.pingIntervalMs;
  let beat = beats.get(intervalMs);
  if (beat === undefined) {
    beat = new Beat();
    beats.set(intervalMs, beat);
    beat.timer = setInterval(tick, intervalMs, beat, intervalMs);
    // The heartbeat never keeps a process alive by itself: open connections do.
    (beat.timer as { unref?: () => void }).unref?.();
  }
  beat.registrations.add(registration);
  registration.beating = true;
}

/**
 * For a runtime that pings by itself after a quiet half of its idle timeout and closes when no
 * pong came by the end of it (Deno's `idleTimeout`, in seconds): the timeout that pings every
 * `pingIntervalMs` and drops a peer that has not answered by the next ping. 0 = off.
 */
export function runtimeIdleTimeoutSeconds(registration: EndpointRegistration): number {
  return (registration.pingIntervalMs * 2) / 1000;
}

/** The reason Deno's WebSocket gives when its `idleTimeout` ping went unanswered. */
const DENO_PING_TIMEOUT_REASON = "No response from ping frame.";

/**
 * Whether a close event is the runtime's own heartbeat dropping the peer (Deno: an unclean 1001
 * "No response from ping frame.", followed by a second close event, 1005, which the session ignores).
 * A peer cannot fake it: its close frames make clean closes.
 */
export function isRuntimePingTimeout(event: { code: number; reason: string; wasClean?: boolean }): boolean {
  return event.wasClean === false && event.code === 1001 && event.reason === DENO_PING_TIMEOUT_REASON;
}
