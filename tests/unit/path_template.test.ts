import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../mod.ts";
import type { EndpointMap } from "../../mod.ts";
import { matchPathTemplate, parsePathTemplate, requestPathname } from "../../src/path_template.ts";
import { stateOf } from "../../src/container.ts";
import { AcceptedUpgrade, acceptUpgrade } from "../../src/handshake.ts";
import { upgradeRequest } from "./memory_socket.ts";

/** The config path of the endpoint serving `pathname`, and its parameters; null when none. */
function route(paths: string[], pathname: string): { path: string; params: Record<string, string> } | null {
  const container = createContainer();
  for (const path of paths) addEndpoint(container, path, {});
  const match = stateOf(container).match(pathname);
  if (match === null) return null;
  return { path: match.registration.config.path, params: { ...match.pathParameters } };
}

describe("parsePathTemplate", () => {
  test("an exact path has no variables and is its own key", () => {
    const t = parsePathTemplate("/ws/echo");
    assert.deepEqual(t.segments, ["ws", "echo"]);
    assert.deepEqual(t.names, []);
    assert.equal(t.key, "/ws/echo");
  });

  test("variables become null segments, in order, and blank out in the key", () => {
    const t = parsePathTemplate("/rooms/{room}/users/{user.id}");
    assert.deepEqual(t.segments, ["rooms", null, "users", null]);
    assert.deepEqual(t.names, ["room", "user.id"]);
    assert.equal(t.key, "/rooms/{}/users/{}");
    assert.equal(parsePathTemplate("/a/{y}").key, parsePathTemplate("/a/{x}").key);
  });

  test("TypeError naming the path when it does not start with /", () => {
    assert.throws(() => parsePathTemplate("ws/echo"), (e: unknown) => e instanceof TypeError && e.message.includes('"ws/echo"'));
    assert.throws(() => parsePathTemplate(""), TypeError);
    assert.throws(() => parsePathTemplate(42), TypeError);
  });

  test("Error (not TypeError) for malformed templates", () => {
    for (const path of ["/a/{", "/a/}", "/a/{}", "/a/x{y}", "/a/{y}x", "/a/{x}/{x}", "/a/{1x}", "/a/{x y}", "/{a}{b}"]) {
      assert.throws(
        () => parsePathTemplate(path),
        (e: unknown) => e instanceof Error && !(e instanceof TypeError) && e.message.includes(JSON.stringify(path)),
        path,
      );
    }
  });
});

describe("matchPathTemplate", () => {
  test("matches whole segments and percent-decodes the values", () => {
    const t = parsePathTemplate("/chat/{room}/{user}");
    assert.deepEqual(matchPathTemplate(t, "/chat/caf%C3%A9/a%20b"), { room: "café", user: "a b" });
    assert.deepEqual(matchPathTemplate(t, "/chat/x%2Fy/z"), { room: "x/y", user: "z" });
  });

  test("no match for a different segment count, an empty value, a literal mismatch or bad encoding", () => {
    const t = parsePathTemplate("/chat/{room}");
    assert.equal(matchPathTemplate(t, "/chat"), null);
    assert.equal(matchPathTemplate(t, "/chat/"), null);
    assert.equal(matchPathTemplate(t, "/chat/a/b"), null);
    assert.equal(matchPathTemplate(t, "/chats/a"), null);
    assert.equal(matchPathTemplate(t, "/chat/%E0%A4%A"), null);
  });
});

describe("routing", () => {
  test("an exact path beats a template, whichever was added first", () => {
    assert.deepEqual(route(["/rooms/{room}", "/rooms/lobby"], "/rooms/lobby"), { path: "/rooms/lobby", params: {} });
    assert.deepEqual(route(["/rooms/lobby", "/rooms/{room}"], "/rooms/lobby"), { path: "/rooms/lobby", params: {} });
    assert.deepEqual(route(["/rooms/lobby", "/rooms/{room}"], "/rooms/kitchen"), {
      path: "/rooms/{room}",
      params: { room: "kitchen" },
    });
  });

  test("the more specific template wins: a literal beats a variable at the first difference", () => {
    const paths = ["/{a}/{b}", "/{a}/x", "/x/{b}"];
    for (const order of [paths, [...paths].reverse(), [paths[1]!, paths[2]!, paths[0]!]]) {
      assert.deepEqual(route(order, "/x/x"), { path: "/x/{b}", params: { b: "x" } }, order.join(" "));
      assert.deepEqual(route(order, "/y/x"), { path: "/{a}/x", params: { a: "y" } }, order.join(" "));
      assert.deepEqual(route(order, "/y/y"), { path: "/{a}/{b}", params: { a: "y", b: "y" } }, order.join(" "));
    }
  });

  test("parameters are percent-decoded into pathParameters", () => {
    assert.deepEqual(route(["/chat/{room}"], "/chat/caf%C3%A9%20au%20lait"), {
      path: "/chat/{room}",
      params: { room: "café au lait" },
    });
  });

  test("no endpoint → null", () => {
    assert.equal(route(["/a", "/b/{x}"], "/c"), null);
    assert.equal(route(["/a", "/b/{x}"], "/b/x/y"), null);
    assert.equal(route(["/a"], "/a/"), null);
  });

  test("the root path and trailing slashes are exact", () => {
    assert.deepEqual(route(["/", "/a/"], "/"), { path: "/", params: {} });
    assert.deepEqual(route(["/", "/a/"], "/a/"), { path: "/a/", params: {} });
    assert.equal(route(["/", "/a/"], "/a"), null);
  });

  test("addEndpoint rejects a second endpoint whose template differs only in names", () => {
    const container = createContainer();
    const endpoint: EndpointMap = {};
    addEndpoint(container, "/a/{x}", endpoint);
    assert.throws(() => addEndpoint(container, "/a/{y}", endpoint), (e: unknown) =>
      e instanceof Error && !(e instanceof TypeError) && e.message.includes('"/a/{y}"'));
    // The first registration is untouched.
    assert.deepEqual(stateOf(container).match("/a/1")?.pathParameters, { x: "1" });
  });
});

describe("routing: paths the URL parser percent-encodes", () => {
  test(
    "an endpoint added at a non-ASCII or space-containing path is reachable",
    async () => {
      const container = createContainer();
      addEndpoint(container, "/café", {});
      addEndpoint(container, "/a b/{x}", {});
      const exact = await acceptUpgrade(stateOf(container), upgradeRequest("/café"));
      assert.ok(exact instanceof AcceptedUpgrade, "/café");
      const template = await acceptUpgrade(stateOf(container), upgradeRequest("/a b/1"));
      assert.ok(template instanceof AcceptedUpgrade, "/a b/{x}");
      assert.deepEqual(template.pathParameters, { x: "1" });
    },
  );

  test("an already-encoded endpoint path matches requests written either way", async () => {
    const container = createContainer();
    addEndpoint(container, "/caf%C3%A9", {});
    assert.ok((await acceptUpgrade(stateOf(container), upgradeRequest("/caf%C3%A9"))) instanceof AcceptedUpgrade);
    assert.ok((await acceptUpgrade(stateOf(container), upgradeRequest("/café"))) instanceof AcceptedUpgrade);
  });
});

describe("requestPathname", () => {
  test("gives what the URL parser gives, fast or not", () => {
    const hrefs = [
      "http://127.0.0.1:8080/echo",
      "http://127.0.0.1:8080/chat/lobby?since=5#x",
      "https://example.test/",
      "http://h/a/./b",
      "http://h/a/../b",
      "http://h/a/%2e%2E/b",
      "http://h/rooms/caf%C3%A9",
      "http://h/rooms/café",
      "http://h/a b",
      "http://h/a\\b",
      "http://h/x.json",
      "http://h/~user/@me:1;p=2,q=(3)*!$&'+",
      "http://h",
      "http://h?q",
      "http://user:pw@h:1/p",
    ];
    for (const href of hrefs) assert.equal(requestPathname(href), new URL(href).pathname, href);
  });
});
