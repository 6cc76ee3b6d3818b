import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer, ServerContainer } from "../../mod.ts";
import { forkContainer, stateOf } from "../../src/container.ts";

describe("forkContainer (one per Durable Object)", () => {
  test("serves the same endpoints, configs and options, with open sessions and topics of its own", () => {
    let configured = 0;
    const logger = { error() {} };
    const container = createContainer({ logger, defaultMaxTextMessageBufferSize: 10 });
    const echo = { configure: () => void configured++, maxSessions: 2 };
    addEndpoint(container, "/echo", echo);
    addEndpoint(container, "/rooms/{room}", {});
    addEndpoint(container, "/rooms/lobby", {});
    const fork = forkContainer(container);
    assert.ok(fork instanceof ServerContainer);
    assert.equal(configured, 1, "configure runs once, at addEndpoint");
    const [source, copy] = [stateOf(container), stateOf(fork)];
    assert.deepEqual(copy.options, source.options);
    const original = source.match("/echo")!.registration;
    const forked = copy.match("/echo")!.registration;
    assert.notEqual(forked, original);
    assert.equal(forked.endpoint, echo);
    assert.equal(forked.config, original.config);
    assert.equal(forked.maxSessions, 2);
    assert.equal(forked.maxText, 10);
    assert.notEqual(forked.openSessions, original.openSessions);
    assert.notEqual(copy.topics, source.topics);
    assert.equal(forked.container, copy);
    assert.equal(copy.match("/rooms/lobby")!.registration.config.path, "/rooms/lobby", "an exact path still beats a template");
    assert.deepEqual(copy.match("/rooms/x")!.pathParameters, { room: "x" });
    assert.throws(() => addEndpoint(fork, "/echo", {}), /already taken/);
  });

  test("names a wrong argument", () => {
    assert.throws(() => forkContainer({} as ServerContainer), TypeError);
  });
});
