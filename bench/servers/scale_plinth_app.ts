/**
 * The plinth application of the scale bench, one definition for the three runtimes: the bench's
 * `/echo` and `/chat` (`plinth_app.ts`), plus `/room` — every session subscribed to one topic, with
 * the idle timeout and heartbeat the runner asks for — and `GET /broadcast`, one
 * `container.publish` to the room (Bun's native publish on Bun, the core's loop elsewhere).
 */
import { addEndpoint } from "../../mod.ts";
import type { EndpointMap, ServerContainer, Session } from "../../mod.ts";
import { benchContainer, benchFallback } from "./plinth_app.ts";
import { BROADCAST_MESSAGE, BROADCAST_PATH, ROOM_PATH, ROOM_TOPIC, type ScaleSettings, timedBroadcast } from "./scale_kit.ts";

/** The heartbeat setting, passed by name: the core takes `pingIntervalMs` once it has a heartbeat, and ignores it before. */
function heartbeat(pingIntervalMs: number): Partial<EndpointMap<Session>> {
  return { pingIntervalMs } as Partial<EndpointMap<Session>>;
}

/** A container with `/echo`, `/chat` and `/room`; with `settings.redisUrl`, on the Redis backplane (await it before serving). */
export async function scaleContainer(settings: ScaleSettings): Promise<ServerContainer> {
  let container: ServerContainer;
  if (settings.redisUrl === "") container = benchContainer();
  else {
    // Loaded only for the every-core row, so the curve's servers carry no Redis client.
    const { redisBackplane } = await import("../../adapters/redis.ts");
    const backplane = redisBackplane({ url: settings.redisUrl, prefix: "plinth-bench:" });
    await backplane.ready;
    container = benchContainer({ backplane });
  }
  addEndpoint<Session>(container, ROOM_PATH, {
    ...(settings.pingIntervalMs > 0 ? heartbeat(settings.pingIntervalMs) : {}),
    idleTimeoutMs: settings.idleTimeoutMs,
    onOpen: (session) => {
      session.subscribe(ROOM_TOPIC);
      return session;
    },
  });
  return container;
}

/** The `fallback` of the scale servers: `/broadcast`, `/stats`, else 404. */
export function scaleFallback(container: ServerContainer): (request: Request) => Response {
  return (request) => {
    if (new URL(request.url).pathname === BROADCAST_PATH) {
      return timedBroadcast(() => container.publish(ROOM_TOPIC, BROADCAST_MESSAGE));
    }
    return benchFallback(request);
  };
}
