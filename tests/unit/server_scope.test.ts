import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ServerScope } from "../../src/server_scope.ts";
import { connectSession, containerWith, within } from "./memory_socket.ts";

describe("ServerScope (what shutdown() closes)", () => {
  test("closes its own open and closing sessions, and only those, when servers share a container", async () => {
    const { container } = containerWith({});
    const mine = new ServerScope();
    const other = new ServerScope();
    const open = await connectSession(container, { accept: { scope: mine } });
    // Started closing, and its peer never answers: only the shutdown timeout ends it.
    const closing = await connectSession(container, { accept: { scope: mine }, echoClose: false });
    const elsewhere = await connectSession(container, { accept: { scope: other } });
    closing.session.close();
    assert.equal(mine.size, 2);
    assert.equal(other.size, 1);

    await within(mine.closeAll({ timeoutMs: 50 }), 2000, "closeAll");
    assert.deepEqual(open.socket.closes, [{ code: 1001, reason: "Server shutdown" }]);
    assert.equal((await within(open.session.closed)).code, 1001);
    assert.equal(closing.socket.terminated, 1, "the closing session is terminated after the timeout");
    assert.equal((await within(closing.session.closed)).code, 1000, "it keeps the close it started");
    assert.equal(mine.size, 0);
    assert.equal(mine.accepting, false);

    assert.equal(elsewhere.session.isOpen, true, "another server's session is not touched");
    assert.deepEqual(elsewhere.socket.closes, []);
    assert.equal(other.size, 1);
    elsewhere.session.close();
    await within(elsewhere.session.closed);
    assert.equal(other.size, 0);
  });

  test("a session counts from the moment it opens until its onClose has run", async () => {
    const { container } = containerWith({});
    const scope = new ServerScope();
    const a = await connectSession(container, { accept: { scope }, open: false });
    assert.equal(scope.size, 0, "not yet open");
    a.session.opened();
    assert.equal(scope.size, 1);
    a.session.close();
    assert.equal(scope.size, 1, "closing, not finished");
    await within(a.session.closed);
    assert.equal(scope.size, 0);
    await within(scope.closeAll({ timeoutMs: 50 }));
  });
});
