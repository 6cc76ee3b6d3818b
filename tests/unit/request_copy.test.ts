import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyRequest, rebuildRequest } from "../../src/request_copy.ts";
import type { RequestCopy } from "../../src/request_copy.ts";

const rebuild = (copy: RequestCopy): Request => rebuildRequest(copy.url, copy.layout, copy.ownValues);

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
    const rebuilt = rebuild(copyRequest(original));
    assert.equal(rebuilt.url, URL_TEXT);
    assert.equal(rebuilt.method, "GET");
    assert.deepEqual([...rebuilt.headers], [...original.headers]);
    assert.equal(copyRequest(original).url, URL_TEXT);
  });

  test("a header value may hold ': '; it comes back whole", () => {
    const rebuilt = rebuild(copyRequest(handshake({ "x-note": "a: b: c" })));
    assert.equal(rebuilt.headers.get("x-note"), "a: b: c");
  });

  test("Node's raw header list: names lowercased, repeated headers kept in order", () => {
    const raw = ["Host", "example.test", "X-Tag", "one", "x-tag", "two", "Sec-WebSocket-Key", "k=="];
    const rebuilt = rebuild(copyRequest(handshake({}), raw));
    assert.equal(rebuilt.headers.get("host"), "example.test");
    assert.equal(rebuilt.headers.get("x-tag"), "one, two");
    assert.equal(rebuilt.headers.get("sec-websocket-key"), "k==");
  });

  test("handshakes alike share one layout and keep only their own lines' values", () => {
    const first = copyRequest(handshake({ upgrade: "websocket", "sec-websocket-key": "a==", cookie: "x=1" }));
    const second = copyRequest(handshake({ upgrade: "websocket", "sec-websocket-key": "b==", cookie: "x=2" }));
    assert.equal(second.layout, first.layout);
    // Only the lines that differ per session are kept per session, in the order the headers were read.
    assert.deepEqual([...first.layout.ownNames].sort(), ["cookie", "sec-websocket-key"]);
    const sent: Record<string, string> = { cookie: "x=2", "sec-websocket-key": "b==" };
    assert.equal(second.ownValues, first.layout.ownNames.map((name) => sent[name]).join("\n"));
    assert.equal(rebuild(second).headers.get("cookie"), "x=2");
    assert.equal(rebuild(second).headers.get("sec-websocket-key"), "b==");
  });

  test("a handshake that differs in one line, or lacks or adds one, gets its own layout and comes back whole", () => {
    const base = { upgrade: "websocket", "user-agent": "one", "sec-websocket-key": "a==" };
    const variants: Record<string, string>[] = [
      base,
      { ...base, "user-agent": "two" },
      { upgrade: "websocket", "sec-websocket-key": "a==" },
      { ...base, origin: "http://example.test" },
      { upgrade: "websocket", "user-agent": "one" },
      { ...base, authorization: "Bearer t" },
      base,
    ];
    const seen = variants.map((headers) => copyRequest(handshake(headers)));
    for (const [i, headers] of variants.entries()) {
      assert.deepEqual([...rebuild(seen[i]!).headers], [...new Headers(headers)], `variant ${i}`);
    }
    assert.equal(seen[6]!.layout, seen[0]!.layout);
    assert.notEqual(seen[1]!.layout, seen[0]!.layout);
  });

  test("an empty own value and several own values come back as sent", () => {
    const rebuilt = rebuild(copyRequest(handshake({ cookie: "", "sec-websocket-key": "k==", authorization: "" })));
    assert.equal(rebuilt.headers.get("cookie"), "");
    assert.equal(rebuilt.headers.get("authorization"), "");
    assert.equal(rebuilt.headers.get("sec-websocket-key"), "k==");
  });

  test("repeated lines, set-cookie among them, come back as sent", () => {
    const original = new Request(URL_TEXT, {
      headers: [["set-cookie", "a=1"], ["set-cookie", "b=2"], ["x-tag", "one"], ["x-tag", "two"], ["sec-websocket-key", "k=="]],
    });
    const rebuilt = rebuild(copyRequest(original));
    assert.deepEqual(rebuilt.headers.getSetCookie(), ["a=1", "b=2"]);
    assert.equal(rebuilt.headers.get("x-tag"), "one, two");
    assert.deepEqual([...rebuilt.headers], [...original.headers]);
  });

  // Last: it fills the table of shared layouts.
  test("thousands of distinct header values copy and rebuild correctly past the shared-line bound", () => {
    for (let i = 0; i < 3000; i++) {
      const rebuilt = rebuild(copyRequest(handshake({ "user-agent": `agent-${i}` })));
      assert.equal(rebuilt.headers.get("user-agent"), `agent-${i}`);
    }
  });
});
