/**
 * A WebSocket connection made by hand over `node:net`, for what a well-behaved
 * client will not do: vanish without a close frame, or stop reading.
 * @module
 */
import { connect as netConnect } from "node:net";
import type { Socket } from "node:net";
import { Buffer } from "node:buffer";

/** Opens a TCP connection, completes a WebSocket handshake, and returns the socket. */
export function openRawWebSocket(url: string): Promise<Socket> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = netConnect(Number(target.port), target.hostname);
    let head = "";
    const onData = (chunk: Buffer) => {
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      if (!head.startsWith("HTTP/1.1 101")) {
        socket.destroy();
        reject(new Error(`handshake refused: ${head.split("\r\n")[0]}`));
        return;
      }
      resolve(socket);
    };
    socket.on("data", onData);
    socket.on("error", reject);
    socket.on("connect", () => {
      socket.write(
        `GET ${target.pathname}${target.search} HTTP/1.1\r\nHost: ${target.host}\r\nUpgrade: websocket\r\n` +
          "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      );
    });
  });
}

/** A masked client frame (FIN set) with `opcode` and `payload`. */
export function clientFrame(opcode: number, payload: Uint8Array | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
  let header: Buffer;
  if (body.length < 126) {
    header = Buffer.from([0x80 | opcode, 0x80 | body.length]);
  } else if (body.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = body[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}
