import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CloseCodes, CloseReason } from "../../mod.ts";
import { reportedCloseReason } from "../../src/close_reason.ts";
import { connectSession, containerWith, within } from "./memory_socket.ts";

describe("CloseCodes", () => {
  test("maps the RFC 6455 names to their numbers", () => {
    assert.deepEqual({ ...CloseCodes }, {
      NORMAL_CLOSURE: 1000,
      GOING_AWAY: 1001,
      PROTOCOL_ERROR: 1002,
      CANNOT_ACCEPT: 1003,
      RESERVED: 1004,
      NO_STATUS_CODE: 1005,
      CLOSED_ABNORMALLY: 1006,
      NOT_CONSISTENT: 1007,
      VIOLATED_POLICY: 1008,
      TOO_BIG: 1009,
      NO_EXTENSION: 1010,
      UNEXPECTED_CONDITION: 1011,
      SERVICE_RESTART: 1012,
      TRY_AGAIN_LATER: 1013,
      TLS_HANDSHAKE_FAILURE: 1015,
    });
  });

  test("is frozen", () => {
    assert.ok(Object.isFrozen(CloseCodes));
    assert.throws(() => {
      (CloseCodes as { NORMAL_CLOSURE: number }).NORMAL_CLOSURE = 1;
    }, TypeError);
    assert.equal(CloseCodes.NORMAL_CLOSURE, 1000);
  });
});

describe("CloseReason constructor", () => {
  test("keeps code and phrase; the phrase defaults to empty", () => {
    const reason = new CloseReason(CloseCodes.GOING_AWAY, "bye");
    assert.equal(reason.code, 1001);
    assert.equal(reason.reasonPhrase, "bye");
    assert.equal(new CloseReason(4000).reasonPhrase, "");
  });

  test("accepts the whole 1000–4999 range, including codes only a peer reports", () => {
    for (const code of [1000, 1004, 1005, 1006, 1015, 2999, 3000, 4999]) {
      assert.equal(new CloseReason(code).code, code);
    }
  });

  test("TypeError for a code that is not a number", () => {
    for (const code of ["1000", null, undefined, 1000n, {}]) {
      assert.throws(() => new CloseReason(code as unknown as number), TypeError, `code ${String(code)}`);
    }
  });

  test("TypeError for a phrase that is not a string", () => {
    for (const phrase of [1, null, {}, ["a"]]) {
      assert.throws(() => new CloseReason(1000, phrase as unknown as string), TypeError);
    }
  });

  test("RangeError for codes outside 1000–4999 or not integers", () => {
    for (const code of [999, 5000, 1.5, 0, -1000, NaN, Infinity]) {
      assert.throws(() => new CloseReason(code), RangeError, `code ${code}`);
    }
  });

  test("phrase limit is 123 UTF-8 bytes, counted with multi-byte characters", () => {
    const cases: [string, number][] = [
      ["a".repeat(123), 123],
      ["€".repeat(41), 123], // 3 bytes each
      ["a" + "é".repeat(61), 123], // 2 bytes each
      ["😀".repeat(30) + "abc", 123], // 4 bytes each (surrogate pairs)
      ["😀".repeat(30) + "€", 123],
    ];
    for (const [phrase, bytes] of cases) {
      assert.equal(new TextEncoder().encode(phrase).byteLength, bytes);
      assert.equal(new CloseReason(1000, phrase).reasonPhrase, phrase);
      assert.throws(() => new CloseReason(1000, phrase + "a"), RangeError, `${bytes + 1} bytes`);
    }
    // 62 two-byte characters: 124 bytes though only 62 UTF-16 units.
    assert.throws(() => new CloseReason(1000, "é".repeat(62)), RangeError);
    // 41 three-byte characters plus one two-byte character: 125 bytes.
    assert.throws(() => new CloseReason(1000, "€".repeat(41) + "é"), RangeError);
  });

  test("a lone surrogate counts as the 3 bytes of U+FFFD", () => {
    assert.equal(new CloseReason(1000, "a".repeat(120) + "\ud800").reasonPhrase.length, 121);
    assert.throws(() => new CloseReason(1000, "a".repeat(121) + "\ud800"), RangeError);
  });
});

describe("reportedCloseReason (what a peer reported)", () => {
  test("never throws: unknown codes become 1006, long phrases are cut to 123 bytes", () => {
    assert.equal(reportedCloseReason(1000, "ok").code, 1000);
    assert.equal(reportedCloseReason(1005, "").code, 1005);
    assert.equal(reportedCloseReason(42, "x").code, 1006);
    assert.equal(reportedCloseReason(NaN, "x").code, 1006);
    const cut = reportedCloseReason(1000, "€".repeat(50));
    assert.equal(cut.reasonPhrase, "€".repeat(41));
  });

  test("cutting a long phrase never splits a surrogate pair", () => {
    // 120 + 4 + 1 = 125 bytes: the emoji must go whole, not leave half of its pair behind.
    const phrase = reportedCloseReason(1000, "a".repeat(120) + "😀" + "b").reasonPhrase;
    assert.equal(phrase, "a".repeat(120));
    const emojis = reportedCloseReason(1000, "😀".repeat(40)).reasonPhrase;
    assert.equal(emojis, "😀".repeat(30));
    assert.equal(new TextEncoder().encode(emojis).byteLength, 120);
  });

  test("a phrase of 41 three-byte characters (123 bytes) is kept whole; 42 are cut", () => {
    assert.equal(reportedCloseReason(1000, "€".repeat(41)).reasonPhrase, "€".repeat(41));
    assert.equal(new CloseReason(1000, "€".repeat(41)).reasonPhrase.length, 41);
    assert.throws(() => new CloseReason(1000, "€".repeat(42)), RangeError);
    assert.equal(reportedCloseReason(1000, "€".repeat(42)).reasonPhrase, "€".repeat(41));
  });

  test("a reason without a phrase is one frozen instance per code", () => {
    const first = reportedCloseReason(1001, "");
    assert.equal(reportedCloseReason(1001, ""), first);
    assert.ok(Object.isFrozen(first));
    assert.deepEqual([first.code, first.reasonPhrase], [1001, ""]);
    assert.notEqual(reportedCloseReason(1000, ""), first);
    assert.equal(reportedCloseReason(7, "").code, 1006);
  });
});

describe("session.close()", () => {
  test("without an argument closes with 1000 and an empty phrase", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    session.close();
    assert.deepEqual(socket.closes, [{ code: 1000, reason: "" }]);
    const reason = await within(session.closed);
    assert.equal(reason.code, 1000);
    assert.equal(reason.reasonPhrase, "");
  });

  test("sends the given code and phrase, once", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    session.close(new CloseReason(4001, "über"));
    session.close(new CloseReason(1000, "again"));
    assert.deepEqual(socket.closes, [{ code: 4001, reason: "über" }]);
    assert.equal((await within(session.closed)).code, 4001);
  });

  test("takes a CloseReason-like plain object", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    session.close({ code: 3001, reasonPhrase: "plain" } as CloseReason);
    assert.deepEqual(socket.closes, [{ code: 3001, reason: "plain" }]);
    await within(session.closed);
  });

  test("RangeError for 1004, 1005, 1006, 1015 and 1016–2999; the session stays open", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    for (const code of [1004, 1005, 1006, 1015, 1016, 2000, 2999]) {
      assert.throws(() => session.close(new CloseReason(code)), RangeError, `code ${code}`);
    }
    assert.equal(session.isOpen, true);
    assert.deepEqual(socket.closes, []);
    session.close();
    await within(session.closed);
  });

  test("TypeError for a reason that is not an object", async () => {
    const { container } = containerWith({});
    const { session, socket } = await connectSession(container);
    assert.throws(() => session.close(1000 as unknown as CloseReason), TypeError);
    assert.throws(() => session.close(null as unknown as CloseReason), TypeError);
    assert.deepEqual(socket.closes, []);
    session.close();
    await within(session.closed);
  });
});
