/**
 * The chat demo's protocol, without a browser: real clients over loopback
 * against `createChatContainer()` served by the runtime's adapter (or
 * `PLINTH_ADAPTER`). Runs on Deno, Bun and Node.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { PlinthServer } from "../../mod.ts";
import {
  createChatContainer,
  HISTORY_SIZE,
  MAX_FRAME_BYTES,
  MAX_NICK_CHARS,
  MAX_TEXT_CHARS,
} from "../../examples/chat/chat_endpoint.ts";
import { serveWith } from "../support/serve_adapter.ts";
import { connect, sleep } from "../support/client.ts";
import type { TestClient } from "../support/client.ts";
import { ADAPTER } from "../support/runtime.ts";

// deno-lint-ignore no-explicit-any
type Json = any;

describe(`chat protocol [${ADAPTER}]`, () => {
  let server: PlinthServer;
  const open: TestClient[] = [];
  let roomCounter = 0;
  const freshRoom = (): string => `room-${++roomCounter}`;

  before(async () => {
    server = await serveWith(createChatContainer());
  });
  after(async () => {
    for (const client of open) client.close();
    await server.shutdown({ timeoutMs: 1000 });
  });

  const urlFor = (room: string, nick: string): string =>
    `${server.url}/chat/${encodeURIComponent(room)}?nick=${encodeURIComponent(nick)}`;

  /** Connects and returns a reader of parsed JSON messages. */
  async function join(room: string, nick: string): Promise<{ client: TestClient; next: () => Promise<Json> }> {
    const client = await connect(urlFor(room, nick));
    open.push(client);
    return { client, next: async () => JSON.parse(String(await client.next())) };
  }

  /** Per reader, the last member list version it saw. */
  const versions = new WeakMap<object, number>();

  /**
   * The next message, with a string `at` removed after checking it is ISO 8601, and a member
   * list's `version` removed after checking it grew.
   */
  async function nextWithoutAt(reader: { next: () => Promise<Json> }): Promise<Json> {
    const message = await reader.next();
    if (message.type === "members") {
      assert.equal(typeof message.version, "number");
      assert.ok(message.version > (versions.get(reader) ?? 0), `member list versions grow: ${message.version}`);
      versions.set(reader, message.version);
      delete message.version;
    }
    if ("at" in message) {
      assert.equal(typeof message.at, "string");
      assert.ok(!Number.isNaN(Date.parse(message.at)), `at is a date: ${message.at}`);
      delete message.at;
    }
    return message;
  }

  async function member(room: string, nick: string) {
    const reader = await join(room, nick);
    const history = await nextWithoutAt(reader);
    assert.equal(history.type, "history");
    assert.deepEqual(await nextWithoutAt(reader), { type: "join", nick: nick.trim() });
    const members = await nextWithoutAt(reader);
    assert.equal(members.type, "members");
    return { ...reader, history, members };
  }

  test("a joiner gets the history, its own join and the member list; others get join and members", async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    assert.deepEqual(ann.history, { type: "history", room, messages: [] });
    assert.deepEqual(ann.members, { type: "members", room, members: ["ann"] });
    const bob = await member(room, "  bob  ");
    assert.deepEqual(bob.members, { type: "members", room, members: ["ann", "bob"] }, "nick is trimmed");
    assert.deepEqual(await nextWithoutAt(ann), { type: "join", nick: "bob" });
    assert.deepEqual(await nextWithoutAt(ann), { type: "members", room, members: ["ann", "bob"] });
  });

  test("a message reaches every member of the room, the sender included, and no other room", async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    const bob = await member(room, "bob");
    await ann.next(); // join bob
    await ann.next(); // members
    const other = await member(freshRoom(), "eve");
    ann.client.send(JSON.stringify({ type: "message", text: "  hello, room  " }));
    const expected = { type: "message", from: "ann", text: "hello, room" };
    assert.deepEqual(await nextWithoutAt(ann), expected);
    assert.deepEqual(await nextWithoutAt(bob), expected);
    await sleep(100);
    assert.equal(other.client.received.length, 3, "the other room saw nothing");
  });

  test("a leave is announced with the new member list", async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    const bob = await member(room, "bob");
    await ann.next();
    await ann.next();
    bob.client.close(1000, "bye");
    await bob.client.closed;
    assert.deepEqual(await nextWithoutAt(ann), { type: "leave", nick: "bob" });
    assert.deepEqual(await nextWithoutAt(ann), { type: "members", room, members: ["ann"] });
  });

  test(`a new member gets the last ${HISTORY_SIZE} messages, oldest first`, async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    const total = HISTORY_SIZE + 5;
    for (let i = 1; i <= total; i++) ann.client.send(JSON.stringify({ type: "message", text: `m${i}` }));
    await ann.client.waitFor(3 + total);
    const bob = await member(room, "bob");
    const messages = bob.history.messages as Json[];
    assert.equal(messages.length, HISTORY_SIZE);
    assert.deepEqual(
      messages.map((m) => m.text),
      Array.from({ length: HISTORY_SIZE }, (_, i) => `m${i + 6}`),
    );
    for (const message of messages) {
      assert.equal(message.type, "message");
      assert.equal(message.from, "ann");
      assert.ok(!Number.isNaN(Date.parse(message.at)));
    }
  });

  test("malformed, unknown, empty and too long messages get an error back and never reach the room; ping gets nothing", async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    const bob = await member(room, "bob");
    await ann.next();
    await ann.next();
    const cases: [string, string][] = [
      ["{not json", "bad_json"],
      ["[1,2]", "bad_message"],
      ['"message"', "bad_message"],
      [JSON.stringify({ text: "no type" }), "bad_message"],
      [JSON.stringify({ type: "message" }), "bad_message"],
      [JSON.stringify({ type: "message", text: 42 }), "bad_message"],
      [JSON.stringify({ type: "shout", text: "hi" }), "unknown_type"],
      [JSON.stringify({ type: "message", text: "   " }), "empty_text"],
      [JSON.stringify({ type: "message", text: "x".repeat(MAX_TEXT_CHARS + 1) }), "text_too_long"],
    ];
    for (const [frame, code] of cases) {
      bob.client.send(frame);
      const error = await bob.next();
      assert.equal(error.type, "error", frame);
      assert.equal(error.code, code, frame);
      assert.equal(typeof error.message, "string");
    }
    bob.client.send(JSON.stringify({ type: "ping" })); // keep-alive: no answer, nothing in the room
    // Exactly at the limit is fine (and counts characters, not UTF-16 units).
    const longest = "é".repeat(MAX_TEXT_CHARS - 1) + "😀";
    bob.client.send(JSON.stringify({ type: "message", text: longest }));
    const atLimit = { type: "message", from: "bob", text: longest };
    assert.deepEqual(await nextWithoutAt(ann), atLimit, "ann saw none of the refused messages");
    assert.deepEqual(await nextWithoutAt(bob), atLimit);
  });

  test(`a frame over ${MAX_FRAME_BYTES} bytes closes with 1009 and never reaches the room`, async () => {
    const room = freshRoom();
    const ann = await member(room, "ann");
    const bob = await member(room, "bob");
    await ann.next();
    await ann.next();
    const frame = JSON.stringify({ type: "message", text: "" });
    const exact = JSON.stringify({ type: "message", text: "a".repeat(MAX_FRAME_BYTES - frame.length) });
    assert.equal(exact.length, MAX_FRAME_BYTES);
    bob.client.send(JSON.stringify({ type: "message", text: "b".repeat(MAX_FRAME_BYTES) }));
    const close = await bob.client.closed;
    assert.equal(close.code, 1009);
    assert.deepEqual(await nextWithoutAt(ann), { type: "leave", nick: "bob" });
    assert.deepEqual(await nextWithoutAt(ann), { type: "members", room, members: ["ann"] });
    // A frame of exactly the limit is not closed (its text is over 1000 characters, so: error).
    ann.client.send(exact);
    assert.equal((await ann.next()).code, "text_too_long");
  });

  test("a bad nickname or room is refused at the handshake; an odd but valid one is kept as text", async () => {
    const room = freshRoom();
    for (const nick of ["", "   ", "x".repeat(MAX_NICK_CHARS + 1), "tab\there"]) {
      await assert.rejects(connect(urlFor(room, nick)), `nick ${JSON.stringify(nick)} is refused`);
    }
    await assert.rejects(connect(`${server.url}/chat/${room}`), "no nick is refused");
    await assert.rejects(connect(urlFor("   ", "ann")), "a blank room is refused");
    const xss = "<img src=x onerror=alert(1)>";
    const longest = "😀".repeat(MAX_NICK_CHARS);
    const a = await member(room, xss);
    const b = await member(room, longest);
    assert.deepEqual(b.members.members, [xss, longest]);
    a.client.send(JSON.stringify({ type: "message", text: "<b>hi</b>" }));
    assert.deepEqual(await nextWithoutAt(b), { type: "message", from: xss, text: "<b>hi</b>" });
  });

  test("room names are percent-decoded and separate", async () => {
    const first = await member("café au lait", "ann");
    assert.equal(first.history.room, "café au lait");
    const second = await member("Café au lait", "bob");
    assert.deepEqual(second.members.members, ["bob"]);
  });

});
