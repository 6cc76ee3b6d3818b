/**
 * What a session keeps of its upgrade request, for `session.request` and
 * `session.requestURI` for the whole life of the connection: the URL and the
 * header lines, taken before the runtime consumes the request (Deno closes it
 * on upgrade).
 *
 * Most of a handshake is the same for every client of a server: the URL,
 * `host`, `upgrade`, `connection`, the version, and a browser's
 * `user-agent`, `origin` and `accept-language`. Those lines are kept as one
 * block, once per process, and shared; only what differs on every handshake
 * (the key, cookies, credentials) is kept per session.
 * @module
 */

/** The URL, the header lines clients send alike (shared), and this session's own header lines. */
export type RequestCopy = readonly [url: string, sharedLines: string, ownLines: string];

/** Texts up to this length are shared between sessions; longer ones are kept per session. */
const MAX_SHARED_TEXT = 2048;
/** At most this many distinct texts are shared, so hostile headers cannot grow the table without bound. */
const MAX_SHARED_TEXTS = 1024;
/** Headers that differ on every handshake: never worth sharing. */
function differsPerSession(name: string): boolean {
  return name === "sec-websocket-key" || name === "cookie" || name === "authorization";
}

const shared = new Map<string, string>();

/**
 * The one copy of `text` every session shares, when it is worth sharing. The
 * lookup hashes `text`, which also flattens an appended string into one block.
 */
function share(text: string): string {
  const known = shared.get(text);
  if (known !== undefined) return known;
  if (text.length <= MAX_SHARED_TEXT && shared.size < MAX_SHARED_TEXTS) shared.set(text, text);
  return text;
}

/**
 * Copies what a session keeps of `request`. `rawHeaders`: the headers as
 * Node's flat `[name, value, …]` list, when the adapter has it (cheaper than
 * undici's sorted `Headers`). The method is not kept: an upgrade is a GET.
 */
export function copyRequest(request: Request, rawHeaders?: readonly string[]): RequestCopy {
  // The common block is appended to (cheapest), then flattened by the lookup in `share`; the
  // session's own lines are joined, so what the session keeps is one flat string, not the pieces.
  let common = "";
  const own: string[] = [];
  const add = (name: string, value: string): void => {
    if (differsPerSession(name)) own.push(name, ": ", value, "\n");
    else common += `${name}: ${value}\n`;
  };
  if (rawHeaders === undefined) {
    request.headers.forEach((value, name) => add(name, value));
  } else {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) add(rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!);
  }
  return [share(request.url), share(common), own.join("")];
}

/** The URL of the copied request. */
export function urlOf(copy: RequestCopy): string {
  return copy[0];
}

/** A `Request` equal to the copied one (method GET, URL and headers). */
export function rebuildRequest(copy: RequestCopy): Request {
  const headers = new Headers();
  for (const block of [copy[1], copy[2]]) {
    for (const text of block.split("\n")) {
      const colon = text.indexOf(": ");
      if (colon > 0) headers.append(text.slice(0, colon), text.slice(colon + 2));
    }
  }
  return new Request(urlOf(copy), { method: "GET", headers });
}
