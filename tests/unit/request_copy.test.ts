import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyRequest, rebuildRequest, urlOf } from "../../src/request_copy.ts";

const URL_TEXT = "http://127.0.0.1:8080/chat/lobby?since=5";

function handshake(headers: Record<string, string>): Request {
  return new Request(URL_TEXT, { headers });
}

describe("copyRequest / rebuildRequest", () => {
  test("the rebuilt request has the URL, the method and every header of the original", () => {
    const original = handshake({
      upgrade: "websocket",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
      "x-long": "v".repeat(1000),
      cookie: "a=1; b=2",
    });
    const rebuilt = rebuildRequest(copyRequest(original));
    assert.equal(rebuilt.url, URL_TEXT);
    assert.equal(rebuilt.method, "GET");
    assert.deepEqual([...rebuilt.headers], [...original.headers]);
    assert.equal(urlOf(copyRequest(original)), URL_TEXT);
  });

  test("a header value may hold ': '; it comes back whole", () => {
    const rebuilt = rebuildRequest(copyRequest(handshake({ "x-note": "a: b: c" })));
    assert.equal(rebuilt.headers.get("x-note"), "a: b: c");
  });

  test("Node's raw header list: names lowercased, repeated headers kept in order", () => {
    const raw = ["Host", "example.test", "X-Tag", "one", "x-tag", "two", "Sec-WebSocket-Key", "k=="];
    const rebuilt = rebuildRequest(copyRequest(handshake({}), raw));
    assert.equal(rebuilt.headers.get("host"), "example.test");
    assert.equal(rebuilt.headers.get("x-tag"), "one, two");
    assert.equal(rebuilt.headers.get("sec-websocket-key"), "k==");
  });

  test("thousands of distinct header values copy and rebuild correctly past the shared-line bound", () => {
    for (let i = 0; i < 3000; i++) {
      const rebuilt = rebuildRequest(copyRequest(handshake({ "user-agent": `agent-${i}` })));
      assert.equal(rebuilt.headers.get("user-agent"), `agent-${i}`);
    }
  });
});
