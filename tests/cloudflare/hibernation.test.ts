/**
 * Hibernation on workerd: clients in a room, the object left idle until
 * workerd evicts it (its constructor runs again), then messages still flow,
 * sessions come back with their id, path parameters, topics, user properties
 * and session object, and a close runs `onClose` once.
 * Run: `npx tsx --test tests/cloudflare/hibernation.test.ts` (about 20 s per date).
 * @module
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, sleep } from "../support/client.ts";
import type { TestClient } from "../support/client.ts";
import { bundle, COMPATIBILITY_DATES, startWorker } from "./workerd.ts";

/** How long the object is left alone; workerd evicts an idle hibernatable object after about 10 s. */
const IDLE_MS = Number((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env
  .PLINTH_HIBERNATION_IDLE_MS ?? 14_000);

const script = bundle("./fixture_worker.ts");

for (const date of COMPATIBILITY_DATES) {
  describe(`hibernation on workerd [${date}]`, () => {
    test("sessions survive eviction: messages, ids, parameters, topics, session objects; onClose once", async () => {
      const worker = await startWorker(await script, {
        compatibilityDate: date,
        durableObjects: { OBJECTS: "Objects", HIBERNATING: "Hibernating" },
        bindings: { MODE: "hibernate" },
      });
      const clients: TestClient[] = [];
      try {
        const log = async (): Promise<string[]> => (await (await fetch(`${worker.url}/__log`)).json()) as string[];
        const instance = async () => await (await fetch(`${worker.url}/__instance/h1`)).text();
        const alice = await connect(`${worker.url}/rooms/h1?name=alice`);
        const bob = await connect(`${worker.url}/rooms/h1?name=bob`);
        const carol = await connect(`${worker.url}/members/h1?name=carol`);
        clients.push(alice, bob, carol);
        alice.send("who");
        const before = JSON.parse((await alice.next()) as string);
        assert.equal(before.open, 2);
        alice.send("before");
        assert.equal(await bob.next(), "alice: before");
        bob.send("nick robert");
        bob.send("who");
        const bobBefore = JSON.parse((await bob.next()) as string);
        assert.equal(bobBefore.name, "robert");
        const firstInstance = await instance();

        await sleep(IDLE_MS);
        const secondInstance = await instance();
        assert.notEqual(secondInstance, firstInstance, "workerd evicted the object: its constructor ran again");

        alice.send("who");
        const after = JSON.parse((await alice.next()) as string);
        assert.deepEqual(after, before, "id, name (user property), parameters, topics and open sessions are back");
        alice.send("after");
        assert.equal(await bob.next(), "alice: after", "topics ride the attachments");
        bob.send("hi alice");
        assert.equal(await alice.next(), "robert: hi alice", "a user property saved with saveSession is back");
        carol.send("ping");
        carol.send(new Uint8Array([1, 2]));
        const deadline = Date.now() + 3000;
        const expected = `member ping ${JSON.stringify({ name: "carol", room: "h1", joined: 42 })}`;
        while (!(await log()).includes(expected) || !(await log()).includes("member carol binary Uint8Array 1,2")) {
          assert.ok(Date.now() < deadline, `plain session object kept, binary as bytes: ${JSON.stringify(await log())}`);
          await sleep(20);
        }

        bob.close(1000, "bye");
        assert.deepEqual(await bob.closed, { code: 1000, reason: "bye" });
        assert.equal(await alice.next(), "left robert");
        await sleep(200);
        const lines = await log();
        assert.equal(lines.filter((l) => l === "room h1 close robert 1000").length, 1, JSON.stringify(lines));
        assert.equal(alice.received.length, 4, "alice got exactly one 'left robert'");
        assert.equal(carol.received.length, 0, "the members endpoint subscribed to nothing");
      } finally {
        for (const client of clients) if (client.socket.readyState === 1) client.close();
        await worker.dispose();
      }
    });
  });
}
