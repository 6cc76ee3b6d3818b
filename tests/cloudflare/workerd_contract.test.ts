/**
 * The contract on workerd: the same endpoints served by a Worker alone, by
 * Durable Objects on the standard API and by hibernating Durable Objects, each
 * on two compatibility dates (2025-01-01, and the pinned workerd's own), with
 * real `ws` clients over loopback. What the platform cannot serve is listed
 * in `PLATFORM_CANNOT` (and in docs/cloudflare.md), not skipped silently.
 * Run: `npx tsx --test tests/cloudflare/workerd_contract.test.ts`.
 * @module
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, eventually, sleep } from "../support/client.ts";
import type { TestClient } from "../support/client.ts";
import { rawRequest, upgradeHeaders } from "../support/raw_http.ts";
import { bundle, COMPATIBILITY_DATES, startWorker } from "./workerd.ts";
import type { RunningWorker } from "./workerd.ts";

type Mode = "worker" | "object" | "hibernate";

/**
 * Cases of the contract suite that workerd cannot serve, and why. Each is documented in
 * docs/cloudflare.md; the suite asserts the platform's actual behaviour where it can be observed.
 */
export const PLATFORM_CANNOT: Record<string, string> = {
  "426 carries Upgrade: websocket": "workerd removes the Upgrade header from any response it sends; the 426 status and body still arrive",
  "send backpressure / backpressureLimit": "workerd exposes no bufferedAmount: sends are handed over at once, bufferedAmount is always 0",
  "heartbeat (server pings)": "a Worker cannot send protocol pings; workerd answers the client's pings itself",
  "shutdown() closes every session with 1001": "workerd owns the server's lifecycle: there is no serve()/shutdown() on Cloudflare",
  "terminate without a closing handshake": "workerd has no abort: a terminated session sends a close without a code",
  "topics and openSessions across connections (Worker alone)":
    "workerd lets a request use only the sockets it accepted; rooms need Durable Objects",
  "idle timeout under hibernation": "a pending timer keeps the object awake; not enforced while hibernating",
};

const MODES: readonly Mode[] = ["worker", "object", "hibernate"];
const script = bundle("./fixture_worker.ts");

for (const date of COMPATIBILITY_DATES) {
  for (const mode of MODES) {
    describe(`contract on workerd [${mode}, ${date}]`, () => {
      let worker: RunningWorker;
      const clients: TestClient[] = [];
      const open = async (path: string, protocols?: string | string[]) => {
        const client = await connect(`${worker.url}${path}`, protocols);
        clients.push(client);
        return client;
      };
      const log = async (): Promise<string[]> => (await (await fetch(`${worker.url}/__log`)).json()) as string[];
      const logged = async (line: string, timeoutMs = 3000): Promise<string[]> => {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
          const lines = await log();
          if (lines.includes(line)) return lines;
          if (Date.now() > deadline) assert.fail(`"${line}" not logged; log: ${JSON.stringify(lines)}`);
          await sleep(20);
        }
      };
      const count = (lines: string[], line: string) => lines.filter((l) => l === line).length;

      before(async () => {
        worker = await startWorker(await script, {
          compatibilityDate: date,
          durableObjects: { OBJECTS: "Objects", HIBERNATING: "Hibernating" },
          bindings: { MODE: mode },
        });
      });
      after(async () => {
        for (const client of clients) client.socket.onclose = null;
        for (const client of clients) if (client.socket.readyState === 1) client.close();
        await worker?.dispose();
      });

      test("text and binary arrive whole, in order, after onOpen; binary as a Uint8Array", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await open("/echo?t=order");
        client.send("one");
        client.send(new Uint8Array([1, 2, 3]));
        client.send("two");
        const got = await client.waitFor(3);
        assert.deepEqual(got, ["one", new Uint8Array([1, 2, 3]), "two"]);
        const lines = await log();
        const mine = lines.filter((l) => l.startsWith("/echo "));
        assert.deepEqual(mine.slice(0, 4), ["/echo open", "/echo text one", "/echo binary Uint8Array 1,2,3", "/echo text two"]);
        client.close();
      });

      test("a client close reaches onClose once with its code and reason, and is answered", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await open("/echo");
        client.close(4001, "bye");
        const close = await Promise.race([client.closed, sleep(3000).then(() => null)]);
        assert.deepEqual(close, { code: 4001, reason: "bye" }, "the server answers the close");
        const lines = await logged("/echo close 4001 bye");
        await sleep(100);
        assert.equal(count(await log(), "/echo close 4001 bye"), 1);
        assert.ok(lines.length > 0);
      });

      test("a close without a code (1005) is answered with a plain close", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await open("/echo");
        client.close();
        const close = await Promise.race([client.closed, sleep(3000).then(() => null)]);
        assert.ok(close !== null, "the client got the server's close within 3 s");
        assert.equal(close.code, 1005);
        await logged("/echo close 1005 ");
      });

      test("session.close(4002) reaches the client with its reason; onClose once", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await open("/echo");
        client.send("close-4002");
        assert.deepEqual(await client.closed, { code: 4002, reason: "server says bye" });
        await logged("/echo close 4002 server says bye");
        await sleep(100);
        assert.equal(count(await log(), "/echo close 4002 server says bye"), 1);
      });

      for (const how of ["throw", "reject"]) {
        test(`a callback that ${how}s: onError, then 1011 with a generic reason`, async () => {
          await fetch(`${worker.url}/__log`, { method: "DELETE" });
          const client = await open("/echo");
          client.send(how);
          assert.deepEqual(await client.closed, { code: 1011, reason: "Internal Error" });
          const lines = await logged("/echo close 1011 Internal Error");
          const error = lines.findIndex((l) => l.startsWith("/echo error Error"));
          assert.ok(error >= 0 && error < lines.indexOf("/echo close 1011 Internal Error"), JSON.stringify(lines));
        });
      }

      test("onOpen that throws: onError and onClose (1011) with session object undefined", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await connect(`${worker.url}/open-throws`).catch(() => null);
        if (client !== null) assert.equal((await client.closed).code, 1011);
        const lines = await logged("open-throws close undefined 1011");
        assert.ok(lines.includes("open-throws error undefined open failed"));
        assert.equal(count(lines, "open-throws close undefined 1011"), 1);
      });

      test("close() inside onOpen reaches the client (not left in CLOSING)", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const client = await open("/open-closes");
        const close = await Promise.race([client.closed, sleep(3000).then(() => null)]);
        assert.deepEqual(close, { code: 4003, reason: "not now" });
        await logged("open-closes close 4003 not now");
      });

      test("limits are inclusive, text measured in UTF-8 bytes; over → 1009 before the callback", async () => {
        await fetch(`${worker.url}/__log`, { method: "DELETE" });
        const fits = await open("/limits");
        fits.send("0123456789");
        fits.send("ééééé");
        fits.send(new Uint8Array(10));
        assert.equal((await fits.waitFor(3)).length, 3);
        const text = await open("/limits");
        text.send("éééééé");
        assert.deepEqual(await text.closed, { code: 1009, reason: "Text message too big" });
        const binary = await open("/limits");
        binary.send(new Uint8Array(11));
        assert.deepEqual(await binary.closed, { code: 1009, reason: "Binary message too big" });
        assert.ok(!(await log()).some((l) => l.includes("éééééé")));
      });

      if (mode !== "hibernate") {
        test("idle timeout: 1001 Idle Timeout", async () => {
          const client = await open("/idle");
          assert.deepEqual(await client.closed, { code: 1001, reason: "Idle Timeout" });
        });
      }

      test("handshake: 426 for a plain request (workerd drops its Upgrade header), 404 / fallback for no endpoint", async () => {
        const plain = await rawRequest(`${worker.url}/echo`);
        assert.equal(plain.status, 426);
        assert.equal(plain.body, "Expected a WebSocket upgrade request");
        const missing = await rawRequest(`${worker.url}/nowhere`, { headers: upgradeHeaders() });
        if (mode === "worker") assert.deepEqual([missing.status, missing.body], [200, "fallback page"]);
        else assert.equal(missing.status, 404);
      });

      test("handshake: checkOrigin false → 403; a Response from modifyHandshake is sent as is", async () => {
        const bad = await rawRequest(`${worker.url}/origin`, { headers: upgradeHeaders({ Origin: "https://evil.example" }) });
        assert.equal(bad.status, 403);
        const good = await rawRequest(`${worker.url}/origin`, { headers: upgradeHeaders({ Origin: "https://good.example" }) });
        assert.equal(good.status, 101);
        const refused = await rawRequest(`${worker.url}/auth`, { headers: upgradeHeaders() });
        assert.deepEqual([refused.status, refused.body, refused.headers.get("x-why")], [401, "no token", "token"]);
        const accepted = await rawRequest(`${worker.url}/auth?token=1`, { headers: upgradeHeaders() });
        assert.deepEqual([accepted.status, accepted.headers.get("x-plinth")], [101, "yes"]);
      });

      test("maxSessions: beyond it the handshake gets 503 (per object with Durable Objects)", async () => {
        const first = await open(`/full/a-${mode}`);
        const second = await rawRequest(`${worker.url}/full/a-${mode}`, { headers: upgradeHeaders() });
        assert.equal(second.status, 503);
        const other = await rawRequest(`${worker.url}/full/b-${mode}`, { headers: upgradeHeaders() });
        assert.equal(other.status, mode === "worker" ? 503 : 101, "another object has its own count");
        first.close();
      });

      test("subprotocols: the first in the client's order the endpoint supports; none → no header", async () => {
        for (const [offered, chosen] of [["b, a", "b"], ["a,b", "a"], ["c", null]] as const) {
          const response = await rawRequest(`${worker.url}/proto`, {
            headers: upgradeHeaders({ "Sec-WebSocket-Protocol": offered }),
          });
          assert.equal(response.status, 101);
          assert.equal(response.headers.get("sec-websocket-protocol"), chosen, `offered ${offered}`);
        }
        const client = await open("/proto", ["c", "b"]);
        assert.equal(client.protocol, "b");
      });

      if (mode !== "worker") {
        test("topics in one object: publish reaches the others, not the sender; onClose once", async () => {
          await fetch(`${worker.url}/__log`, { method: "DELETE" });
          const alice = await open(`/rooms/t-${mode}?name=alice`);
          const bob = await open(`/rooms/t-${mode}?name=bob`);
          const carol = await open(`/rooms/other-${mode}?name=carol`);
          alice.send("hello");
          assert.equal(await bob.next(), "alice: hello");
          bob.send("who");
          const who = JSON.parse((await bob.next()) as string);
          assert.deepEqual(who.params, { room: `t-${mode}` });
          assert.deepEqual(who.topics, [`room:t-${mode}`]);
          assert.equal(who.open, 2, "openSessions counts this object's sessions only");
          carol.send("who");
          assert.equal(JSON.parse((await carol.next()) as string).open, 1);
          bob.close(1000, "done");
          assert.equal(await alice.next(), "left bob");
          await logged(`room t-${mode} close bob 1000`);
          await sleep(150);
          assert.equal(alice.received.length, 1, "alice got nothing of her own, and one 'left'");
          assert.equal(carol.received.length, 1);
          assert.equal(count(await log(), `room t-${mode} close bob 1000`), 1);
        });
      }

      if (mode === "hibernate") {
        test("an onOpen value that cannot be stored: 1011 at open, onError gets a TypeError saying why", async () => {
          await fetch(`${worker.url}/__log`, { method: "DELETE" });
          const client = await open("/unstorable");
          assert.equal((await client.closed).code, 1011);
          const lines = await logged("unstorable close 1011 Internal Error");
          const error = lines.find((l) => l.startsWith("unstorable error "));
          assert.match(error ?? "", /^unstorable error TypeError .*cannot be kept across hibernation/);
        });
      } else {
        test("an onOpen value that is not serializable is fine without hibernation", async () => {
          await fetch(`${worker.url}/__log`, { method: "DELETE" });
          const client = await open("/unstorable");
          client.send("x");
          await logged("unstorable text x function");
          client.close();
        });
      }
    });
  }
}

await eventually(() => true);
