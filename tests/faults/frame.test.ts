/**
 * Unit tests of the fault tools' wire helpers: frame encoding, the
 * server-frame parser, the handshake builder and the seeded PRNG.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  applyMask,
  buildHandshakeRequest,
  closePayload,
  computeAcceptKey,
  encodeFrame,
  generateWebSocketKey,
  Opcode,
} from "./frame.ts";
import { closeFrameCode, FrameParser } from "./frame_parser.ts";
import { generateHostileCase, generateHostileCases, HOSTILE_FAMILIES } from "./hostile.ts";
import { createPrng } from "./prng.ts";

test("encodeFrame: header bits, masking and every length form", () => {
  const key = Uint8Array.of(1, 2, 3, 4);
  const f = encodeFrame({ opcode: Opcode.TEXT, payload: "hi", maskKey: key });
  assert.deepEqual([...f.subarray(0, 6)], [0x81, 0x82, 1, 2, 3, 4]);
  assert.deepEqual([...applyMask(f.subarray(6), key)], [0x68, 0x69]);

  const raw = encodeFrame({ opcode: 0x3, fin: false, rsv1: true, rsv3: true, mask: false, payload: Uint8Array.of(9) });
  assert.deepEqual([...raw], [0x50 | 0x3, 0x01, 9]);

  const sixteen = encodeFrame({ opcode: Opcode.BINARY, mask: false, payload: new Uint8Array(5), lengthEncoding: "16" });
  assert.deepEqual([...sixteen.subarray(0, 4)], [0x82, 126, 0, 5]);
  const sixtyFour = encodeFrame({ opcode: Opcode.BINARY, mask: false, lengthEncoding: "64", declaredLength: 0x8000000000000001n });
  assert.deepEqual([...sixtyFour], [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]);
  assert.equal(encodeFrame({ opcode: 2, mask: false, payload: new Uint8Array(70000) })[1], 127);
  assert.throws(() => encodeFrame({ opcode: 16 }), RangeError);
  assert.throws(() => encodeFrame({ opcode: 1, lengthEncoding: "7", declaredLength: 126 }), RangeError);
});

test("FrameParser: split input, all length forms, close codes", () => {
  const frames = [
    encodeFrame({ opcode: Opcode.TEXT, mask: false, payload: "x".repeat(10) }),
    encodeFrame({ opcode: Opcode.BINARY, mask: false, payload: new Uint8Array(300) }),
    encodeFrame({ opcode: Opcode.BINARY, mask: false, payload: new Uint8Array(70000) }),
    encodeFrame({ opcode: Opcode.PING, payload: "p" }),
    encodeFrame({ opcode: Opcode.CLOSE, mask: false, payload: closePayload(1002, "bad") }),
  ];
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    all.set(f, o);
    o += f.length;
  }
  const parser = new FrameParser();
  const out = [];
  for (let i = 0; i < all.length; i += 7) out.push(...parser.push(all.subarray(i, i + 7)));
  assert.deepEqual(out.map((f) => f.kind), ["text", "binary", "binary", "ping", "close"]);
  assert.deepEqual(out.map((f) => f.payload.length), [10, 300, 70000, 1, 5]);
  assert.equal(out[3]?.masked, true);
  assert.equal(new TextDecoder().decode(out[3]?.payload), "p");
  assert.equal(closeFrameCode(out), 1002);
  assert.equal(out[4]?.closeReason, "bad");
  assert.equal(closeFrameCode(new FrameParser().push(encodeFrame({ opcode: Opcode.CLOSE, mask: false }))), 1005);
  assert.equal(closeFrameCode(out.slice(0, 2)), null);
  const huge = new FrameParser(1024);
  assert.deepEqual(huge.push(encodeFrame({ opcode: 2, mask: false, lengthEncoding: "64", declaredLength: 2n ** 40n })), []);
  assert.match(huge.error ?? "", /declares/);
});

test("handshake builder: valid request and chosen defects", () => {
  const key = generateWebSocketKey(new Uint8Array(16));
  assert.equal(key, "AAAAAAAAAAAAAAAAAAAAAA==");
  // RFC 6455 §1.3 example.
  assert.equal(computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  const ok = new TextDecoder().decode(buildHandshakeRequest({ host: "h:1", path: "/ws", key, protocols: ["a", "b"] }).bytes);
  assert.equal(
    ok,
    `GET /ws HTTP/1.1\r\nHost: h:1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: a, b\r\n\r\n`,
  );
  const bad = buildHandshakeRequest({ host: null, key: null, version: "99", method: "POST", httpVersion: "HTTP/1.0", omitTerminator: true });
  const text = new TextDecoder().decode(bad.bytes);
  assert.equal(bad.key, null);
  assert.ok(text.startsWith("POST / HTTP/1.0\r\n"));
  assert.ok(!text.includes("Host:") && !text.includes("Sec-WebSocket-Key") && text.includes("Sec-WebSocket-Version: 99"));
  assert.ok(!text.endsWith("\r\n\r\n"));
});

test("PRNG and case generation are reproducible from the seed", () => {
  const a = createPrng(42);
  const b = createPrng(42);
  const xs = Array.from({ length: 100 }, () => a.uint32());
  assert.deepEqual(xs, Array.from({ length: 100 }, () => b.uint32()));
  const c = createPrng(43);
  assert.notDeepEqual(xs, Array.from({ length: 100 }, () => c.uint32()));
  const cases = generateHostileCases(7, 3 * HOSTILE_FAMILIES.length);
  assert.deepEqual(new Set(cases.map((c) => c.family)), new Set(HOSTILE_FAMILIES));
  const again = generateHostileCase(7, 40);
  assert.deepEqual(again, cases[40]);
  assert.notDeepEqual(generateHostileCase(8, 40).chunks, again.chunks);
});
