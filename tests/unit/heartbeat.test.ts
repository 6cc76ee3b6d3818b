import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addEndpoint, createContainer } from "../../src/container.ts";
import { stateOf } from "../../src/container.ts";
import { AcceptedUpgrade, acceptUpgrade } from "../../src/handshake.ts";
import { isRuntimePingTimeout, runtimeIdleTimeoutSeconds } from "../../src/heartbeat.ts";
import type { WsSession } from "../../src/session.ts";
import { MemorySocket, sleep, upgradeRequest, within } from "./memory_socket.ts";

/** A socket that counts pings and, like Bun, reports a close the server starts synchronously. */
class PingingSocket extends MemorySocket {
  pings = 0;
  session: WsSession | null = null;
  ping(): void {
    this.pings++;
  }
  override close(code: number, reason: string): void {
    super.close(code, reason);
    this.session?.receiveClose(code, reason);
  }
}

async function open(pingIntervalMs: number, events: string[]) {
  const container = createContainer({ logger: { error: () => {} } });
  addEndpoint(container, "/beat", {
    pingIntervalMs,
    onClose: (_o, _s, reason) => void events.push(`onClose ${reason.code} ${reason.reasonPhrase}`),
  });
  const upgrade = await acceptUpgrade(stateOf(container), upgradeRequest("/beat"));
  assert.ok(upgrade instanceof AcceptedUpgrade);
  const socket = new PingingSocket();
  const session = upgrade.connect(socket, true);
  socket.session = session;
  session.opened();
  return { session, socket };
}

describe("heartbeat", () => {
  test("a peer that answers each ping stays open; one that does not is dropped with 1001 Ping timeout, once", async () => {
    const events: string[] = [];
    const { session, socket } = await open(40, events);
    for (let i = 0; i < 4; i++) {
      await sleep(45);
      session.ponged();
    }
    assert.ok(socket.pings >= 2, `pinged ${socket.pings} times`);
    assert.ok(session.isOpen);
    const reason = await within(session.closed, 1000);
    assert.deepEqual([reason.code, reason.reasonPhrase], [1001, "Ping timeout"]);
    assert.deepEqual(events, ["onClose 1001 Ping timeout"]);
    assert.equal(socket.terminated, 1);
  });

  test("pingIntervalMs 0: no pings", async () => {
    const events: string[] = [];
    const { session, socket } = await open(0, events);
    await sleep(60);
    assert.equal(socket.pings, 0);
    assert.ok(session.isOpen);
    session.close();
  });

  test("the runtime's own heartbeat (Deno) closes once with the same reason", async () => {
    const events: string[] = [];
    const { session } = await open(0, events);
    assert.ok(isRuntimePingTimeout({ code: 1001, reason: "No response from ping frame.", wasClean: false }));
    assert.ok(!isRuntimePingTimeout({ code: 1001, reason: "No response from ping frame.", wasClean: true }));
    session.pingTimedOut();
    session.receiveClose(1005, ""); // Deno's second close event
    assert.equal((await within(session.closed)).reasonPhrase, "Ping timeout");
    assert.deepEqual(events, ["onClose 1001 Ping timeout"]);
  });

  test("Deno's idleTimeout is twice the interval, in seconds", () => {
    const container = createContainer();
    addEndpoint(container, "/a", { pingIntervalMs: 200 });
    const registration = stateOf(container).match("/a")!.registration;
    assert.equal(runtimeIdleTimeoutSeconds(registration), 0.4);
  });

  test("pingIntervalMs must be a non-negative integer", () => {
    assert.throws(() => addEndpoint(createContainer(), "/x", { pingIntervalMs: -5 }), /pingIntervalMs/);
  });
});
