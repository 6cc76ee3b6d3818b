import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, addEndpoints, createContainer, ServerContainer } from "../../mod.ts";
import type { EndpointMap } from "../../mod.ts";
import { DEFAULT_BACKPRESSURE_LIMIT, DEFAULT_MESSAGE_LIMIT, stateOf } from "../../src/container.ts";

/** An assertion that the error is an instance of `type` (exactly, not a subclass) whose message contains every `parts`. */
const error = (type: typeof Error | typeof TypeError | typeof RangeError, ...parts: string[]) => (e: unknown): boolean => {
  assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
  assert.equal((e as Error).constructor, type, `expected exactly ${type.name}, got ${(e as Error).constructor.name}`);
  for (const part of parts) assert.ok((e as Error).message.includes(part), `${JSON.stringify((e as Error).message)} should mention ${part}`);
  return true;
};

describe("createContainer", () => {
  test("settles the defaults: no idle timeout, a 30 s heartbeat, 1 MiB limits, console logger", () => {
    const container = createContainer();
    assert.ok(container instanceof ServerContainer);
    assert.deepEqual({ ...stateOf(container).options }, {
      defaultMaxIdleTimeoutMs: 0,
      defaultPingIntervalMs: 30_000,
      defaultMaxTextMessageBufferSize: 1024 * 1024,
      defaultMaxBinaryMessageBufferSize: 1024 * 1024,
      logger: console,
    });
    assert.equal(DEFAULT_MESSAGE_LIMIT, 1048576);
  });

  test("keeps the given options, 0 included", () => {
    const logger = { error() {} };
    const container = createContainer({
      defaultMaxIdleTimeoutMs: 0,
      defaultMaxTextMessageBufferSize: 0,
      defaultMaxBinaryMessageBufferSize: 7,
      logger,
    });
    assert.equal(stateOf(container).options.defaultMaxTextMessageBufferSize, 0);
    assert.equal(stateOf(container).options.defaultMaxBinaryMessageBufferSize, 7);
    assert.equal(stateOf(container).options.logger, logger);
  });

  test("defaultPingIntervalMs: a non-negative integer, 0 turns the heartbeat off", () => {
    assert.equal(stateOf(createContainer({ defaultPingIntervalMs: 0 })).options.defaultPingIntervalMs, 0);
    assert.throws(() => createContainer({ defaultPingIntervalMs: -1 }), /options\.defaultPingIntervalMs/);
    assert.throws(() => createContainer({ defaultPingIntervalMs: 1.5 }), /options\.defaultPingIntervalMs/);
  });

  test("TypeError when options is not an object", () => {
    for (const options of [null, 5, "x"]) {
      assert.throws(() => createContainer(options as never), error(TypeError, "options"));
    }
  });

  test("TypeError for a logger without error()", () => {
    for (const logger of [{}, { error: 1 }, "console"]) {
      assert.throws(() => createContainer({ logger: logger as never }), error(TypeError, "logger"));
    }
  });

  test("RangeError / TypeError naming the default that is wrong", () => {
    for (const name of ["defaultMaxIdleTimeoutMs", "defaultMaxTextMessageBufferSize", "defaultMaxBinaryMessageBufferSize"]) {
      for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
        assert.throws(() => createContainer({ [name]: bad }), error(RangeError, name), `${name} = ${bad}`);
      }
      for (const bad of ["10", null, true]) {
        assert.throws(() => createContainer({ [name]: bad as never }), error(TypeError, name), `${name} = ${String(bad)}`);
      }
    }
  });
});

describe("addEndpoint", () => {
  test("TypeError naming the path when it does not start with /", () => {
    assert.throws(() => addEndpoint(createContainer(), "chat", {}), error(TypeError, '"chat"'));
    assert.throws(() => addEndpoint(createContainer(), "", {}), error(TypeError));
  });

  test("TypeError when the container does not come from createContainer()", () => {
    assert.throws(() => addEndpoint({} as ServerContainer, "/a", {}), error(TypeError, "createContainer"));
    assert.throws(() => addEndpoint(null as unknown as ServerContainer, "/a", {}), error(TypeError, "createContainer"));
  });

  test("Error on a duplicate path, exact or template", () => {
    const container = createContainer();
    addEndpoint(container, "/a", {});
    addEndpoint(container, "/a/{x}", {});
    assert.throws(() => addEndpoint(container, "/a", {}), error(Error, '"/a"', "taken"));
    assert.throws(() => addEndpoint(container, "/a/{x}", {}), error(Error, '"/a/{x}"'));
    assert.throws(() => addEndpoint(container, "/a/{y}", {}), error(Error, '"/a/{y}"'));
  });

  test("Error for malformed templates, naming the path", () => {
    for (const path of ["/a/{", "/a/{}", "/a/x{y}", "/a/{x}/{x}"]) {
      assert.throws(() => addEndpoint(createContainer(), path, {}), error(Error, JSON.stringify(path)), path);
    }
  });

  test("TypeError when the endpoint is not an object", () => {
    for (const endpoint of [null, "x", 1]) {
      assert.throws(() => addEndpoint(createContainer(), "/e", endpoint as never), error(TypeError, "/e"));
    }
  });

  test("TypeError naming the callback that is not a function", () => {
    for (const name of ["onOpen", "onClose", "onError", "onText", "onBinary", "configure"]) {
      for (const bad of ["f", 1, {}, null]) {
        assert.throws(
          () => addEndpoint(createContainer(), "/cb", { [name]: bad } as EndpointMap),
          error(TypeError, name, "/cb"),
          `${name} = ${String(bad)}`,
        );
      }
    }
  });

  test("RangeError / TypeError naming the limit that is wrong", () => {
    const limits = ["idleTimeoutMs", "maxTextMessageBufferSize", "maxBinaryMessageBufferSize", "backpressureLimit", "sendTimeoutMs"];
    for (const name of [...limits, "maxSessions"]) {
      for (const bad of [-1, 0.5, NaN, Infinity]) {
        assert.throws(
          () => addEndpoint(createContainer(), "/lim", { [name]: bad } as EndpointMap),
          error(RangeError, name, "/lim"),
          `${name} = ${bad}`,
        );
      }
      for (const bad of ["5", null, false, [1]]) {
        assert.throws(
          () => addEndpoint(createContainer(), "/lim", { [name]: bad } as EndpointMap),
          error(TypeError, name, "/lim"),
          `${name} = ${String(bad)}`,
        );
      }
    }
    // 0 is a valid limit, but not a valid session count.
    for (const name of limits) addEndpoint(createContainer(), "/zero", { [name]: 0 } as EndpointMap);
    assert.throws(() => addEndpoint(createContainer(), "/lim", { maxSessions: 0 }), error(RangeError, "maxSessions"));
  });

  test("TypeError for subprotocols that are not an array of tokens", () => {
    for (const bad of ["chat", [""], ["a b"], [1], ["ok", "bad,comma"]]) {
      assert.throws(
        () => addEndpoint(createContainer(), "/sp", { subprotocols: bad as string[] }),
        error(TypeError, "subprotocols"),
        JSON.stringify(bad),
      );
    }
  });

  test("a failed addEndpoint registers nothing", () => {
    const container = createContainer();
    assert.throws(() => addEndpoint(container, "/x", { idleTimeoutMs: -1 }), RangeError);
    assert.throws(() => addEndpoint(container, "/y", { configure: () => { throw new Error("boom"); } }), /boom/);
    assert.equal(stateOf(container).match("/x"), null);
    assert.equal(stateOf(container).match("/y"), null);
    addEndpoint(container, "/x", {});
    addEndpoint(container, "/y", {});
    assert.ok(stateOf(container).match("/x") !== null);
  });

  test("configure runs once, at addEndpoint time, after the map's subprotocols", () => {
    const calls: string[][] = [];
    const container = createContainer();
    addEndpoint(container, "/cfg", {
      subprotocols: ["a"],
      configure(builder) {
        calls.push([builder.path, ...builder.build().subprotocols]);
        builder.subprotocols(["b", "c"]).userProperty("role", "admin");
      },
    });
    assert.deepEqual(calls, [["/cfg", "a"]]);
    const config = stateOf(container).match("/cfg")!.registration.config;
    assert.deepEqual([...config.subprotocols], ["b", "c"]);
    assert.equal(config.userProperties.get("role"), "admin");
    assert.equal(config.path, "/cfg");
    stateOf(container).match("/cfg");
    assert.equal(calls.length, 1);
  });

  test("endpoint settings override the container defaults", () => {
    const container = createContainer({
      defaultMaxIdleTimeoutMs: 100,
      defaultMaxTextMessageBufferSize: 10,
      defaultMaxBinaryMessageBufferSize: 20,
    });
    addEndpoint(container, "/d", {});
    addEndpoint(container, "/e", {
      idleTimeoutMs: 0,
      maxTextMessageBufferSize: 1,
      maxBinaryMessageBufferSize: 2,
      backpressureLimit: 3,
      sendTimeoutMs: 4,
      maxSessions: 5,
    });
    const d = stateOf(container).match("/d")!.registration;
    const e = stateOf(container).match("/e")!.registration;
    assert.deepEqual(
      [d.idleTimeoutMs, d.maxText, d.maxBinary, d.backpressureLimit, d.sendTimeoutMs, d.maxSessions],
      [100, 10, 20, DEFAULT_BACKPRESSURE_LIMIT, 0, Infinity],
    );
    assert.deepEqual([e.idleTimeoutMs, e.maxText, e.maxBinary, e.backpressureLimit, e.sendTimeoutMs, e.maxSessions], [
      0,
      1,
      2,
      3,
      4,
      5,
    ]);
  });
});

describe("addEndpoints", () => {
  test("adds every path of the map", () => {
    const container = createContainer();
    const echo: EndpointMap = {};
    const room: EndpointMap = {};
    addEndpoints(container, { "/echo": echo, "/rooms/{room}": room });
    assert.equal(stateOf(container).match("/echo")?.registration.endpoint, echo);
    assert.equal(stateOf(container).match("/rooms/a")?.registration.endpoint, room);
    assert.deepEqual(stateOf(container).match("/rooms/a")?.pathParameters, { room: "a" });
  });

  test("throws as addEndpoint for the first wrong entry", () => {
    const container = createContainer();
    assert.throws(() => addEndpoints(container, { "/ok": {}, "bad": {} }), error(TypeError, '"bad"'));
    assert.ok(stateOf(container).match("/ok") !== null);
  });

  test("TypeError when websockets is not an object", () => {
    for (const bad of [null, "x", 3]) {
      assert.throws(() => addEndpoints(createContainer(), bad as never), error(TypeError, "websockets"));
    }
  });
});
