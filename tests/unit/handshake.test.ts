import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { Configurator, EndpointConfig, EndpointMap } from "../../mod.ts";
import { stateOf } from "../../src/container.ts";
import { AcceptedUpgrade, acceptUpgrade, isUpgradeRequest, parseProtocols } from "../../src/handshake.ts";
import {
  connectSession,
  containerWith,
  MemorySocket,
  RecordingLogger,
  sleep,
  upgradeRequest,
  within,
} from "./memory_socket.ts";

/** Runs the handshake for one endpoint at `/path`; the result and the container's logger. */
async function handshake(
  endpoint: EndpointMap,
  headers: Record<string, string> = {},
  request?: Request,
): Promise<{ result: AcceptedUpgrade | Response | null; logger: RecordingLogger }> {
  const { container, logger } = containerWith(endpoint);
  const result = await acceptUpgrade(stateOf(container), request ?? upgradeRequest("/path", headers));
  return { result, logger };
}

/** The accepted upgrade, failing the test on a refusal. */
function accepted(result: AcceptedUpgrade | Response | null): AcceptedUpgrade {
  if (!(result instanceof AcceptedUpgrade)) {
    assert.fail(`expected an accepted upgrade, got ${result === null ? "null" : `status ${result.status}`}`);
  }
  return result;
}

/** The refusal, failing the test on an accepted upgrade. */
function refused(result: AcceptedUpgrade | Response | null, status: number): Response {
  assert.ok(result instanceof Response, `expected a ${status} response, got ${result === null ? "null" : "an accepted upgrade"}`);
  assert.equal(result.status, status);
  return result;
}

const withConfigurator = (configurator: Configurator, extra: EndpointMap = {}): EndpointMap => ({
  ...extra,
  configure: (builder) => void builder.configurator(configurator),
});

describe("acceptUpgrade: routing and the request", () => {
  test("null when no endpoint serves the path", async () => {
    const { container } = containerWith({}, { path: "/ws" });
    assert.equal(await acceptUpgrade(stateOf(container), upgradeRequest("/other")), null);
    assert.equal(await acceptUpgrade(stateOf(container), new Request("http://x/other")), null);
  });

  test("426 with Upgrade: websocket for a plain request to an endpoint", async () => {
    const { result } = await handshake({}, {}, new Request("http://x/path"));
    const response = refused(result, 426);
    assert.equal(response.headers.get("upgrade"), "websocket");
    assert.equal(await response.text(), "Expected a WebSocket upgrade request");
  });

  test("426 for a POST even with Upgrade: websocket, and for another upgrade", async () => {
    refused((await handshake({}, {}, new Request("http://x/path", { method: "POST", headers: { upgrade: "websocket" } }))).result, 426);
    refused((await handshake({}, {}, new Request("http://x/path", { headers: { upgrade: "h2c" } }))).result, 426);
  });

  test("the Upgrade header is a case-insensitive token list", () => {
    assert.equal(isUpgradeRequest(new Request("http://x/", { headers: { upgrade: "WebSocket" } })), true);
    assert.equal(isUpgradeRequest(new Request("http://x/", { headers: { upgrade: "h2c, websocket" } })), true);
    assert.equal(isUpgradeRequest(new Request("http://x/", { headers: { upgrade: "websockets" } })), false);
    assert.equal(isUpgradeRequest(new Request("http://x/")), false);
  });

  test("an accepted upgrade carries the request, path parameters and limits", async () => {
    const container = createContainer();
    addEndpoint(container, "/rooms/{room}", { maxTextMessageBufferSize: 10, maxBinaryMessageBufferSize: 99 });
    const upgrade = accepted(await acceptUpgrade(stateOf(container), upgradeRequest("/rooms/caf%C3%A9?x=1")));
    assert.deepEqual(upgrade.pathParameters, { room: "café" });
    assert.equal(new URL(upgrade.request.url).search, "?x=1");
    assert.equal(upgrade.protocol, "");
    assert.equal(upgrade.maxMessageBytes, 99);
    assert.deepEqual([...upgrade.headers], []);
  });

  test("with a registration from a router, the container's routes are skipped", async () => {
    const container = createContainer();
    addEndpoint(container, "/a", {});
    const registration = stateOf(container).match("/a")!.registration;
    const upgrade = accepted(
      await acceptUpgrade(stateOf(container), upgradeRequest("/anything/else"), {
        registration,
        pathParameters: { id: "7" },
      }),
    );
    assert.equal(upgrade.registration, registration);
    assert.deepEqual(upgrade.pathParameters, { id: "7" });
  });
});

describe("acceptUpgrade: checkOrigin", () => {
  test("false → 403; the hook gets the Origin header and the request", async () => {
    const seen: [string, string][] = [];
    const endpoint = withConfigurator({
      checkOrigin: (origin, request) => {
        seen.push([origin, new URL(request.url).pathname]);
        return origin === "https://good.example";
      },
    });
    refused((await handshake(endpoint, { origin: "https://evil.example" })).result, 403);
    accepted((await handshake(endpoint, { origin: "https://good.example" })).result);
    assert.deepEqual(seen, [["https://evil.example", "/path"], ["https://good.example", "/path"]]);
  });

  test("a missing Origin is passed as an empty string", async () => {
    const seen: string[] = [];
    const endpoint = withConfigurator({ checkOrigin: (origin) => (seen.push(origin), false) });
    refused((await handshake(endpoint)).result, 403);
    assert.deepEqual(seen, [""]);
  });

  test("only true accepts (a truthy non-boolean is a refusal)", async () => {
    const endpoint = withConfigurator({ checkOrigin: () => 1 as unknown as boolean });
    refused((await handshake(endpoint)).result, 403);
  });
});

describe("acceptUpgrade: subprotocols", () => {
  const endpoint: EndpointMap = { subprotocols: ["chat.v2", "chat.v1"] };

  test("the first protocol in the client's order that the endpoint supports", async () => {
    assert.equal(accepted((await handshake(endpoint, { "sec-websocket-protocol": "chat.v1, chat.v2" })).result).protocol, "chat.v1");
    assert.equal(accepted((await handshake(endpoint, { "sec-websocket-protocol": "x,chat.v2 , chat.v1" })).result).protocol, "chat.v2");
  });

  test("no overlap, or no header → \"\" (the handshake still succeeds)", async () => {
    assert.equal(accepted((await handshake(endpoint, { "sec-websocket-protocol": "mqtt, stomp" })).result).protocol, "");
    assert.equal(accepted((await handshake(endpoint)).result).protocol, "");
    assert.equal(accepted((await handshake({}, { "sec-websocket-protocol": "chat.v1" })).result).protocol, "");
  });

  test("configure's subprotocols win over the map's", async () => {
    const configured: EndpointMap = { subprotocols: ["a"], configure: (b) => void b.subprotocols(["b", "c"]) };
    assert.equal(accepted((await handshake(configured, { "sec-websocket-protocol": "a, c" })).result).protocol, "c");
    assert.equal(accepted((await handshake(configured, { "sec-websocket-protocol": "a" })).result).protocol, "");
  });

  test("getNegotiatedSubprotocol gets (supported, requested) and picks", async () => {
    const calls: [string[], string[]][] = [];
    const custom = withConfigurator(
      {
        getNegotiatedSubprotocol(supported, requested) {
          calls.push([[...supported], [...requested]]);
          return requested[requested.length - 1] ?? "";
        },
      },
      { subprotocols: ["p1", "p2"] },
    );
    assert.equal(accepted((await handshake(custom, { "sec-websocket-protocol": "q1, q2" })).result).protocol, "q2");
    assert.deepEqual(calls, [[["p1", "p2"], ["q1", "q2"]]]);
  });

  test("getNegotiatedSubprotocol answering a protocol the client did not offer → 500, logged", async () => {
    const custom = withConfigurator({ getNegotiatedSubprotocol: () => "made-up" });
    const { result, logger } = await handshake(custom, { "sec-websocket-protocol": "real" });
    refused(result, 500);
    assert.equal(logger.calls.length, 1);
    assert.match(String(logger.calls[0]!.err), /made-up/);
  });

  test("parseProtocols keeps the client's order and drops empty entries", () => {
    assert.deepEqual(parseProtocols(" b , a,,c "), ["b", "a", "c"]);
    assert.deepEqual(parseProtocols(null), []);
  });
});

describe("acceptUpgrade: modifyHandshake", () => {
  test("headers it sets go out with the upgrade; it gets the config and the request", async () => {
    let seenConfig: EndpointConfig | undefined;
    let seenAuth: string | null = null;
    const endpoint = withConfigurator({
      modifyHandshake(config, request, response) {
        seenConfig = config;
        seenAuth = request.headers.get("authorization");
        response.headers.set("x-welcome", "yes");
      },
    });
    const upgrade = accepted((await handshake(endpoint, { authorization: "Bearer t" })).result);
    assert.equal(upgrade.headers.get("x-welcome"), "yes");
    assert.equal(seenConfig, upgrade.registration.config);
    assert.equal(seenConfig?.path, "/path");
    assert.equal(seenAuth, "Bearer t");
  });

  test("a returned Response is sent as is (sync)", async () => {
    const rejection = new Response("go away", { status: 401, headers: { "www-authenticate": "Bearer" } });
    const { result } = await handshake(withConfigurator({ modifyHandshake: () => rejection }));
    assert.equal(result, rejection);
  });

  test("a Response from an async hook is sent as is; headers from an async hook are kept", async () => {
    const rejection = new Response(null, { status: 403 });
    const { result } = await handshake(withConfigurator({
      async modifyHandshake() {
        await sleep(2);
        return rejection;
      },
    }));
    assert.equal(result, rejection);
    const upgrade = accepted((await handshake(withConfigurator({
      async modifyHandshake(_c, _r, response) {
        await sleep(2);
        response.headers.set("x-late", "1");
      },
    }))).result);
    assert.equal(upgrade.headers.get("x-late"), "1");
  });

  test("a rejected upgrade never calls onOpen", async () => {
    let opened = 0;
    const { container } = containerWith(withConfigurator(
      { modifyHandshake: () => new Response(null, { status: 401 }) },
      { onOpen: () => void opened++ },
    ));
    await assert.rejects(connectSession(container), /refused: 401/);
    assert.equal(opened, 0);
  });
});

describe("acceptUpgrade: failing hooks and limits", () => {
  const boom = new Error("secret detail");
  const cases: [string, Configurator][] = [
    ["checkOrigin throws", { checkOrigin: () => { throw boom; } }],
    ["getNegotiatedSubprotocol throws", { getNegotiatedSubprotocol: () => { throw boom; } }],
    ["modifyHandshake throws", { modifyHandshake: () => { throw boom; } }],
    ["modifyHandshake rejects", { modifyHandshake: () => Promise.reject(boom) }],
  ];
  for (const [name, configurator] of cases) {
    test(`${name} → 500 without the error text, and the logger gets the error`, async () => {
      const { result, logger } = await handshake(withConfigurator(configurator));
      const response = refused(result, 500);
      assert.doesNotMatch(await response.text(), /secret/);
      assert.equal(logger.calls.length, 1);
      assert.equal(logger.calls[0]!.err, boom);
      assert.match(logger.calls[0]!.msg, /\/path/);
    });
  }

  test("maxSessions: beyond it the handshake gets 503; a slot frees when a session closes", async () => {
    const { container } = containerWith({ maxSessions: 1 });
    const first = await connectSession(container);
    const full = refused(await acceptUpgrade(stateOf(container), upgradeRequest("/path")), 503);
    assert.ok(full.headers.get("retry-after") !== null);
    first.session.close();
    await within(first.session.closed);
    accepted(await acceptUpgrade(stateOf(container), upgradeRequest("/path")));
  });

  test("an endpoint that filled up between handshake and open closes with 1013 and never calls onOpen", async () => {
    let opened = 0;
    let closed = 0;
    const { container } = containerWith({ maxSessions: 1, onOpen: () => void opened++, onClose: () => void closed++ });
    const late = accepted(await acceptUpgrade(stateOf(container), upgradeRequest("/path")));
    const first = await connectSession(container);
    const socket = new MemorySocket();
    const session = late.connect(socket, true);
    session.opened();
    assert.deepEqual(socket.closes, [{ code: 1013, reason: "Too many sessions" }]);
    assert.equal((await within(session.closed)).code, 1013);
    assert.equal(opened, 1);
    assert.equal(session.isOpen, false);
    first.session.close();
    await within(first.session.closed);
    assert.equal(closed, 1);
  });

  test("a scope that is shutting down refuses with 503", async () => {
    const { container } = containerWith({});
    const scope = { accepting: false, add() {}, leftOpen() {}, delete() {}, opening() {}, notOpening() {} };
    refused(await acceptUpgrade(stateOf(container), upgradeRequest("/path"), { scope }), 503);
  });
});
