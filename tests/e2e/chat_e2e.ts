/// <reference lib="dom" />
/**
 * The chat demo in a real browser: Debian's chromium driven by
 * `playwright-core`, against each runtime's demo server started as a child
 * process (`PORT=0`, URL parsed from its `listening on …` line).
 *
 * Run: `tsx tests/e2e/chat_e2e.ts [node|deno|bun|cloudflare|shared …]` (default: all).
 * `shared`: servers of different runtimes on one redis-server (started here,
 * on a free port) share rooms — two browsers on two servers.
 * Prints one `ok`/`FAIL` line per check, a summary line per runtime and a
 * total; exits 1 on any failure. Without `/usr/bin/chromium` it prints one
 * line and exits 0. The node run takes a screenshot; with `--screenshot` it is kept as `docs/chat.png`.
 *
 * @module
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CHROMIUM = process.env.PLINTH_CHROMIUM ?? "/usr/bin/chromium";
if (!existsSync(CHROMIUM)) {
  console.log(`e2e: skipped — ${CHROMIUM} not found (apt-get install chromium to enable)`);
  process.exit(0);
}

const { chromium } = await import("playwright-core");
type Browser = import("playwright-core").Browser;
type Page = import("playwright-core").Page;

type Runtime = "node" | "deno" | "bun" | "cloudflare";
const ROOT = fileURLToPath(new URL("../..", import.meta.url).href);
const bin = (name: string): string => join(ROOT, "node_modules", ".bin", name);
const COMMANDS: Record<Runtime, string[]> = {
  node: [process.execPath, "--import", "tsx", "examples/chat/server_node.ts"],
  deno: [bin("deno"), "run", "-A", "examples/chat/server_deno.ts"],
  bun: [bin("bun"), "examples/chat/server_bun.ts"],
  // workerd through Miniflare: one hibernating Durable Object per room (examples/chat/worker.ts).
  cloudflare: [process.execPath, "--import", "tsx", "examples/chat/start_cloudflare.ts"],
};
/** `docs/chat.png` when asked for (`npm run test:e2e -- --screenshot`); otherwise a file under the OS temp dir, so a test run leaves the tree clean. */
const SCREENSHOT = process.argv.includes("--screenshot")
  ? join(ROOT, "docs", "chat.png")
  : join(tmpdir(), `plinth-chat-${process.pid}.png`);
/** The brief's payload; 34 characters, so it is over the 32-character nickname limit and is sent as text. */
const XSS_TEXT = "<img src=x onerror=window.__xss=1>";
/** The same attack within the nickname limit (27 characters). */
const XSS_NICK = "<img src=x onerror=__xss=1>";
const STEP_TIMEOUT_MS = 10_000;

const args = process.argv.slice(2).filter((arg) => !arg.startsWith("--"));
const requested = args.filter((arg): arg is Runtime => arg in COMMANDS);
const runtimes: Runtime[] = args.length > 0 ? requested : ["node", "deno", "bun", "cloudflare"];
const sharedRequested = args.length === 0 || args.includes("shared");

// ---- the demo server as a child process ----------------------------------------------------

interface DemoServer {
  readonly url: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Sends SIGTERM to its pid and resolves with the exit code (SIGKILL after 5 s). */
  stop(): Promise<number | null>;
  /** Everything it printed. */
  output(): string;
}

function startServer(runtime: Runtime, port = 0, env: Record<string, string> = {}): Promise<DemoServer> {
  const [command, ...args] = COMMANDS[runtime];
  const child = spawn(command!, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${runtime} server did not print its URL in 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, port: Number(match[2]), child, stop, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${runtime} server exited (${code}) before listening:\n${output}`));
    });
  });
}

// ---- checks ------------------------------------------------------------------------------

interface Tally {
  passed: number;
  failed: number;
}

async function check(tally: Tally, name: string, body: () => Promise<void>): Promise<boolean> {
  try {
    await body();
    tally.passed++;
    console.log(`ok   ${name}`);
    return true;
  } catch (error) {
    tally.failed++;
    const message = error instanceof Error ? error.message : String(error);
    console.log(`FAIL ${name}\n     ${message.split("\n").join("\n     ")}`);
    return false;
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Texts of the elements matching `selector`. */
const texts = (page: Page, selector: string): Promise<string[]> =>
  page.locator(selector).evaluateAll((elements) => elements.map((e) => e.textContent ?? ""));

/** Waits until the member list is exactly `members`, in order (join order) unless `anyOrder`. */
async function waitForMembers(page: Page, members: string[], { anyOrder = false } = {}): Promise<void> {
  try {
    await page.waitForFunction(
      ([expected, anyOrder]) => {
        const shown = [...document.querySelectorAll("#members li")].map((li) => li.textContent ?? "");
        if (anyOrder) {
          shown.sort();
          expected = [...expected].sort();
        }
        return JSON.stringify(shown) === JSON.stringify(expected);
      },
      [members, anyOrder] as const,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    throw new Error(`members: expected ${JSON.stringify(members)}, shown ${JSON.stringify(await texts(page, "#members li"))}`);
  }
}

/** Waits for a chat line from `from` with exactly `text`. */
async function waitForMessage(page: Page, from: string, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      ([from, text]) =>
        [...document.querySelectorAll("#messages li.message")].some((li) =>
          li.querySelector(".text")?.textContent === text &&
          li.querySelector(".from")?.firstChild?.textContent === from
        ),
      [from, text] as const,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    throw new Error(`no message ${JSON.stringify(text)} from ${JSON.stringify(from)}; lines: ${
      JSON.stringify(await texts(page, "#messages li"))
    }`);
  }
}

/** Waits for an event line (join/leave) with exactly `text`. */
async function waitForEvent(page: Page, text: string): Promise<void> {
  try {
    await page.waitForFunction(
      (text) => [...document.querySelectorAll("#messages li.event")].some((li) => li.textContent === text),
      text,
      { timeout: STEP_TIMEOUT_MS },
    );
  } catch {
    throw new Error(`no event line ${JSON.stringify(text)}; lines: ${JSON.stringify(await texts(page, "#messages li"))}`);
  }
}

const waitConnected = (page: Page): Promise<unknown> =>
  page.waitForSelector('#status[data-state="open"]', { timeout: STEP_TIMEOUT_MS });

async function openChat(browser: Browser, url: string, room: string, nick: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.goto(`${url}/#${new URLSearchParams({ room, nick })}`);
  await waitConnected(page);
  return page;
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#message-input", text);
  await page.click("#send");
}

// ---- one runtime ---------------------------------------------------------------------------

async function runRuntime(browser: Browser, runtime: Runtime): Promise<Tally> {
  const tally: Tally = { passed: 0, failed: 0 };
  console.log(`\n# e2e ${runtime}`);
  let server: DemoServer | undefined;
  const pages: Page[] = [];
  const open = async (room: string, nick: string): Promise<Page> => {
    const page = await openChat(browser, server!.url, room, nick);
    pages.push(page);
    return page;
  };
  try {
    if (!(await check(tally, `${runtime}: the demo server starts with PORT=0 and prints its URL`, async () => {
      server = await startServer(runtime);
    }))) return tally;
    let alice!: Page, bob!: Page, carol!: Page, mallory!: Page;

    await check(tally, `${runtime}: the page is served with a restrictive CSP`, async () => {
      const response = await fetch(`${server!.url}/`);
      assert(response.status === 200, `GET / → ${response.status}`);
      assert(/script-src 'self'/.test(response.headers.get("content-security-policy") ?? ""), "CSP missing");
      const escape = await fetch(`${server!.url}/%2e%2e/package.json`);
      assert(escape.status === 404, `path traversal → ${escape.status}`);
    });

    await check(tally, `${runtime}: two pages join one room and see each other in the member list`, async () => {
      alice = await open("lobby", "alice");
      await waitForMembers(alice, ["alice"]);
      bob = await open("lobby", "bob");
      await waitForMembers(bob, ["alice", "bob"]);
      await waitForMembers(alice, ["alice", "bob"]);
      await waitForEvent(alice, "bob joined");
    });

    await check(tally, `${runtime}: a third page joins another room`, async () => {
      carol = await open("elsewhere", "carol");
      await waitForMembers(carol, ["carol"]);
    });

    await check(tally, `${runtime}: one sends, the other sees it (and the sender its own)`, async () => {
      await say(alice, "hi bob! plinth runs this room on " + runtime);
      await waitForMessage(bob, "alice", "hi bob! plinth runs this room on " + runtime);
      await waitForMessage(alice, "alice", "hi bob! plinth runs this room on " + runtime);
      await say(bob, "hello alice — same endpoint, every runtime");
      await waitForMessage(alice, "bob", "hello alice — same endpoint, every runtime");
      const mine = await alice.locator("#messages li.message.mine").count();
      assert(mine === 1, `alice's own messages marked mine: ${mine}`);
      assert((await alice.inputValue("#message-input")) === "", "the message box is cleared after sending");
    });

    if (runtime === "node") {
      await check(tally, "node: screenshot of two users chatting", async () => {
        await say(alice, "Messages, joins and leaves are pushed to everyone in the room.");
        await waitForMessage(bob, "alice", "Messages, joins and leaves are pushed to everyone in the room.");
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        await bob.screenshot({ path: SCREENSHOT });
        assert(statSync(SCREENSHOT).size > 10_000, "the screenshot has content");
        if (!SCREENSHOT.startsWith(join(ROOT, "docs"))) rmSync(SCREENSHOT);
      });
    }

    await check(tally, `${runtime}: the page in another room saw none of it`, async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = await carol.locator("#messages li.message").count();
      assert(lines === 0, `carol saw ${lines} messages`);
      await waitForMembers(carol, ["carol"]);
    });

    await check(tally, `${runtime}: a new member gets the room's history`, async () => {
      const dave = await open("lobby", "dave");
      await waitForMessage(dave, "alice", "hi bob! plinth runs this room on " + runtime);
      await waitForMessage(dave, "bob", "hello alice — same endpoint, every runtime");
      await waitForMembers(alice, ["alice", "bob", "dave"]);
      await dave.context().close();
      await waitForEvent(alice, "dave left");
    });

    await check(tally, `${runtime}: an HTML nickname and text render as text, never as HTML`, async () => {
      const context = await browser.newContext({ viewport: { width: 1024, height: 640 } });
      mallory = await context.newPage();
      pages.push(mallory);
      await mallory.goto(`${server!.url}/`);
      await mallory.fill("#nick", XSS_TEXT);
      await mallory.fill("#room", "lobby");
      await mallory.click('#join-form button[type="submit"]');
      const refused = await mallory.textContent("#join-error");
      assert(/1 to 32 characters/.test(refused ?? ""), `a 34-character nick is refused by the form: ${refused}`);
      await mallory.fill("#nick", XSS_NICK);
      await mallory.click('#join-form button[type="submit"]');
      await waitConnected(mallory);
      await say(mallory, XSS_TEXT);
      for (const page of [alice, bob, mallory]) {
        await waitForMembers(page, ["alice", "bob", XSS_NICK]);
        await waitForMessage(page, XSS_NICK, XSS_TEXT);
        const images = await page.locator("img").count();
        assert(images === 0, `${images} <img> elements on the page`);
        const xss = await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss);
        assert(xss === undefined, `window.__xss is ${String(xss)}`);
      }
      await waitForEvent(alice, `${XSS_NICK} joined`);
      const memberTexts = await texts(alice, "#members li");
      assert(memberTexts.includes(XSS_NICK), "the nickname appears literally in the member list");
    });

    await check(tally, `${runtime}: closing a page announces the leave and updates the member list`, async () => {
      await bob.context().close();
      await waitForEvent(alice, "bob left");
      await waitForMembers(alice, ["alice", XSS_NICK]);
      await waitForMembers(mallory, ["alice", XSS_NICK]);
    });

    await check(tally, `${runtime}: a too long message is refused in the page`, async () => {
      await say(alice, "x".repeat(1001));
      const error = await alice.textContent("#send-error");
      assert(/at most 1000 characters/.test(error ?? ""), `send error: ${JSON.stringify(error)}`);
    });

    await check(tally, `${runtime}: SIGTERM shuts the server down cleanly (exit 0)`, async () => {
      const code = await server!.stop();
      assert(code === 0, `exit code ${code}; output:\n${server!.output()}`);
      await alice.waitForSelector('#status[data-state="waiting"], #status[data-state="connecting"]');
    });

    await check(tally, `${runtime}: the page reconnects with backoff when the server is back`, async () => {
      server = await startServer(runtime, server!.port);
      await waitConnected(alice);
      await waitConnected(mallory);
      // The server is new (empty rooms): the order depends on which page reconnected first.
      await waitForMembers(alice, ["alice", XSS_NICK], { anyOrder: true });
      const status = await alice.textContent("#status");
      assert(status === "connected", `status ${JSON.stringify(status)}`);
    });
  } finally {
    for (const page of pages) await page.context().close().catch(() => {});
    if (server !== undefined) {
      const code = await server.stop();
      if (code !== 0) {
        tally.failed++;
        console.log(`FAIL ${runtime}: server exit code ${code}\n${server.output()}`);
      }
    }
  }
  return tally;
}

// ---- several servers, one Redis ------------------------------------------------------------

/** Two browsers on a Node and a Bun server sharing rooms through Redis; a third page joins on Deno. */
async function runShared(browser: Browser): Promise<Tally> {
  const tally: Tally = { passed: 0, failed: 0 };
  console.log("\n# e2e shared rooms (node, bun, deno on one redis-server)");
  const { RedisServer, SKIP_WITHOUT_REDIS } = await import("../support/redis_server.ts");
  if (SKIP_WITHOUT_REDIS !== undefined) {
    console.log(`e2e shared: skipped — ${SKIP_WITHOUT_REDIS}`);
    return tally;
  }
  const redis = await RedisServer.start();
  const servers: Partial<Record<Runtime, DemoServer>> = {};
  const pages: Page[] = [];
  const open = async (runtime: Runtime, room: string, nick: string): Promise<Page> => {
    const page = await openChat(browser, servers[runtime]!.url, room, nick);
    pages.push(page);
    return page;
  };
  try {
    if (!(await check(tally, "shared: node, bun and deno chat servers start on one Redis (REDIS_URL)", async () => {
      const started = await Promise.all((["node", "bun", "deno"] as const).map((runtime) =>
        startServer(runtime, 0, { REDIS_URL: redis.url })
      ));
      [servers.node, servers.bun, servers.deno] = started;
      assert(/rooms shared through redis:/.test(servers.node!.output()), "the banner says the rooms are shared");
    }))) return tally;
    let alice!: Page, bob!: Page;

    await check(tally, "shared: alice on node and bob on bun see the same member list", async () => {
      alice = await open("node", "plaza", "alice");
      await waitForMembers(alice, ["alice"]);
      bob = await open("bun", "plaza", "bob");
      await waitForMembers(bob, ["alice", "bob"]);
      await waitForMembers(alice, ["alice", "bob"]);
      await waitForEvent(alice, "bob joined");
    });

    await check(tally, "shared: messages cross servers both ways", async () => {
      await say(alice, "from node to bun");
      await waitForMessage(bob, "alice", "from node to bun");
      await waitForMessage(alice, "alice", "from node to bun");
      await say(bob, "from bun to node");
      await waitForMessage(alice, "bob", "from bun to node");
    });

    await check(tally, "shared: a page on a third server (deno) gets the history and the members", async () => {
      const dave = await open("deno", "plaza", "dave");
      await waitForMessage(dave, "alice", "from node to bun");
      await waitForMessage(dave, "bob", "from bun to node");
      await waitForMembers(dave, ["alice", "bob", "dave"]);
      await waitForMembers(alice, ["alice", "bob", "dave"]);
      await waitForMembers(bob, ["alice", "bob", "dave"]);
      await say(dave, "deno here");
      await waitForMessage(alice, "dave", "deno here");
      await waitForMessage(bob, "dave", "deno here");
      await dave.context().close();
      await waitForEvent(alice, "dave left");
      await waitForEvent(bob, "dave left");
      await waitForMembers(alice, ["alice", "bob"]);
      await waitForMembers(bob, ["alice", "bob"]);
    });

    await check(tally, "shared: closing a page on one server updates the other", async () => {
      await bob.context().close();
      await waitForEvent(alice, "bob left");
      await waitForMembers(alice, ["alice"]);
    });
  } finally {
    for (const page of pages) await page.context().close().catch(() => {});
    for (const [runtime, server] of Object.entries(servers)) {
      const code = await server.stop();
      if (code !== 0) {
        tally.failed++;
        console.log(`FAIL shared: ${runtime} server exit code ${code}\n${server.output()}`);
      }
    }
    await redis.stop();
  }
  return tally;
}

// ---- main ----------------------------------------------------------------------------------

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
  ],
});
const totals: [string, Tally][] = [];
try {
  for (const runtime of runtimes) totals.push([runtime, await runRuntime(browser, runtime)]);
  if (sharedRequested) totals.push(["shared", await runShared(browser)]);
} finally {
  await browser.close();
}
console.log("\ne2e summary:");
let passed = 0;
let failed = 0;
for (const [runtime, tally] of totals) {
  console.log(`  ${runtime}: ${tally.passed} passed, ${tally.failed} failed`);
  passed += tally.passed;
  failed += tally.failed;
}
console.log(`e2e: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
