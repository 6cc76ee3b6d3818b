/**
 * The Worker the workerd tests run: the same endpoints served three ways —
 * a Worker alone (`MODE=worker`), Durable Objects with the standard API
 * (`MODE=object`) and hibernating Durable Objects (`MODE=hibernate`). What the
 * endpoints saw is kept in this isolate's `log`, read with `GET /__log`.
 * @module
 */
import { addEndpoint, CloseReason, createContainer } from "../../mod.ts";
import type { EndpointMap, Session } from "../../mod.ts";
import { durableObject, handler, routeToDurableObject, saveSession } from "../../adapters/cloudflare.ts";

const log: string[] = [];
const container = createContainer({ logger: { error: (msg) => void log.push(`logger ${msg}`) } });

const echo: EndpointMap<Session> = {
  onOpen: (session) => {
    log.push(`${session.requestURI.pathname} open`);
    return session;
  },
  onText: (session, text) => {
    log.push(`${session.requestURI.pathname} text ${text}`);
    if (text === "close-4002") session.close(new CloseReason(4002, "server says bye"));
    else if (text === "throw") throw new Error("secret detail");
    else if (text === "reject") return Promise.reject(new Error("async secret"));
    else void session.asyncRemote.sendText(text);
  },
  onBinary: (session, data) => {
    log.push(`${session.requestURI.pathname} binary ${data.constructor.name} ${[...data].join(",")}`);
    void session.asyncRemote.sendBinary(data);
  },
  onClose: (session, _s, reason) =>
    void log.push(`${session.requestURI.pathname} close ${reason.code} ${reason.reasonPhrase}`),
  onError: (session, _s, error) =>
    void log.push(`${session?.requestURI.pathname} error ${(error as Error).constructor.name} ${(error as Error).message}`),
};

addEndpoint(container, "/echo", echo);
addEndpoint(container, "/limits", { ...echo, maxTextMessageBufferSize: 10, maxBinaryMessageBufferSize: 10 });
addEndpoint(container, "/full/{room}", { ...echo, maxSessions: 1 });
addEndpoint(container, "/idle", { ...echo, idleTimeoutMs: 300 });
addEndpoint(container, "/proto", { ...echo, subprotocols: ["a", "b"] });
addEndpoint(container, "/origin", {
  ...echo,
  configure: (builder) => builder.configurator({ checkOrigin: (origin) => origin === "https://good.example" }),
});
addEndpoint(container, "/auth", {
  ...echo,
  configure: (builder) =>
    builder.configurator({
      modifyHandshake: (_config, request, response) => {
        if (!new URL(request.url).searchParams.has("token")) {
          return new Response("no token", { status: 401, headers: { "x-why": "token" } });
        }
        response.headers.set("x-plinth", "yes");
      },
    }),
});
addEndpoint(container, "/open-throws", {
  onOpen: () => {
    throw new Error("open failed");
  },
  onClose: (object, _s, reason) => void log.push(`open-throws close ${String(object)} ${reason.code}`),
  onError: (object, _s, error) => void log.push(`open-throws error ${String(object)} ${(error as Error).message}`),
});
addEndpoint(container, "/open-closes", {
  onOpen: (session) => {
    session.close(new CloseReason(4003, "not now"));
    return session;
  },
  onClose: (_o, _s, reason) => void log.push(`open-closes close ${reason.code} ${reason.reasonPhrase}`),
});
addEndpoint(container, "/unstorable", {
  onOpen: () => ({ callback: () => 1 }),
  onText: (object, text) => void log.push(`unstorable text ${text} ${typeof object.callback}`),
  onClose: (_o, _s, reason) => void log.push(`unstorable close ${reason.code} ${reason.reasonPhrase}`),
  onError: (_o, _s, error) => void log.push(`unstorable error ${(error as Error).constructor.name} ${(error as Error).message}`),
});

addEndpoint<Session>(container, "/rooms/{room}", {
  onOpen: (session) => {
    const room = session.pathParameters.room!;
    session.subscribe(`room:${room}`);
    session.userProperties.set("name", session.requestURI.searchParams.get("name") ?? "anonymous");
    log.push(`room ${room} open ${session.userProperties.get("name")}`);
    return session;
  },
  onText: (session, text) => {
    const room = session.pathParameters.room!;
    const name = session.userProperties.get("name");
    if (text.startsWith("nick ")) {
      session.userProperties.set("name", text.slice(5));
      saveSession(session);
      return;
    }
    if (text === "who") {
      void session.asyncRemote.sendText(JSON.stringify({
        id: session.id,
        name,
        params: session.pathParameters,
        topics: [...session.topics],
        open: session.openSessions.size,
        protocol: session.negotiatedSubprotocol,
      }));
      return;
    }
    session.publish(`room:${room}`, `${name}: ${text}`);
  },
  onClose: (session, _s, reason) => {
    const room = session.pathParameters.room!;
    log.push(`room ${room} close ${session.userProperties.get("name")} ${reason.code}`);
    session.publish(`room:${room}`, `left ${session.userProperties.get("name")}`);
  },
  onError: (_m, _s, error) => void log.push(`room error ${(error as Error).message}`),
});

/** A plain session object (no session inside): kept in the attachment as data. */
addEndpoint<{ name: string; room: string; joined: number }>(container, "/members/{room}", {
  onOpen: (session) => ({
    name: session.requestURI.searchParams.get("name") ?? "anonymous",
    room: session.pathParameters.room!,
    joined: 42,
  }),
  onText: (member, text) => void log.push(`member ${text} ${JSON.stringify(member)}`),
  onBinary: (member, data) => void log.push(`member ${member.name} binary ${data.constructor.name} ${[...data].join(",")}`),
  onClose: (member, _s, reason) => void log.push(`member close ${member.name} ${reason.code}`),
});

addEndpoint<Session>(container, "/self/{room}", {
  onOpen: (session) => session,
  onText: (session, text) => {
    if (text === "who") {
      void session.asyncRemote.sendText(JSON.stringify({
        id: session.id,
        params: session.pathParameters,
        open: session.isOpen,
        url: session.requestURI.pathname,
        header: session.request.headers.get("x-client") ?? "",
      }));
    }
  },
  onClose: (session, _s, reason) => void log.push(`self ${session.id} close ${reason.code}`),
});

/** Answers `/__instance…` with a token made when the object's constructor ran (to see a wake-up). */
function instanceAnswer(request: Request, instance: string): Promise<Response> | null {
  return new URL(request.url).pathname.startsWith("/__instance") ? Promise.resolve(new Response(instance)) : null;
}

export class Objects extends durableObject(container, { hibernate: false }) {
  readonly instance = crypto.randomUUID();
  override fetch(request: Request): Promise<Response> {
    return instanceAnswer(request, this.instance) ?? super.fetch(request);
  }
}
export class Hibernating extends durableObject(container, { hibernate: true }) {
  readonly instance = crypto.randomUUID();
  override fetch(request: Request): Promise<Response> {
    return instanceAnswer(request, this.instance) ?? super.fetch(request);
  }
}

const objectName = (request: Request): string => {
  const parts = new URL(request.url).pathname.split("/");
  return parts[1] === "rooms" || parts[1] === "members" || parts[1] === "full" || parts[1] === "self" || parts[1] === "__instance" ? `room-${parts[2]}` : "contract";
};
const toObjects = routeToDurableObject(container, "OBJECTS", { name: objectName });
const toHibernating = routeToDurableObject(container, "HIBERNATING", { name: objectName });
const alone = handler(container, () => new Response("fallback page", { status: 200 }));

interface Env {
  MODE: "worker" | "object" | "hibernate";
  OBJECTS: unknown;
  HIBERNATING: unknown;
}

export default {
  fetch(request: Request, env: Env, ctx: unknown): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/__log") {
      if (request.method === "DELETE") log.length = 0;
      return Promise.resolve(Response.json(log));
    }
    const ns = env.MODE === "hibernate" ? env.HIBERNATING : env.OBJECTS;
    if (url.pathname.startsWith("/__instance")) {
      const namespace = ns as { idFromName(n: string): unknown; get(id: unknown): { fetch(r: Request): Promise<Response> } };
      return namespace.get(namespace.idFromName(objectName(request))).fetch(request);
    }
    if (env.MODE === "worker") return alone(request, env, ctx);
    const route = env.MODE === "hibernate" ? toHibernating : toObjects;
    return route(request, env as unknown as Record<string, unknown>);
  },
};
