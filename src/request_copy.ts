/**
 * What a session keeps of its upgrade request, for `session.request` and
 * `session.requestURI` for the whole life of the connection: the URL and the
 * header lines, taken before the runtime consumes the request (Deno closes it
 * on upgrade).
 *
 * Most of a handshake is the same for every client of a server: the URL,
 * `host`, `upgrade`, `connection`, the version, and a browser's
 * `user-agent`, `origin` and `accept-language`. Those lines are kept once per
 * process and shared; only what differs (the key, cookies) is per session.
 * @module
 */

/** The URL, then one `name: value` string per header. */
export type RequestCopy = readonly string[];

/** Lines up to this length are shared between sessions; longer ones are kept per session. */
const MAX_SHARED_LINE = 256;
/** At most this many distinct lines are shared, so hostile headers cannot grow the table without bound. */
const MAX_SHARED_LINES = 1024;
/** Headers that differ on every handshake: never worth sharing. */
const PER_SESSION = new Set(["sec-websocket-key", "cookie", "authorization"]);

const shared = new Map<string, string>();

/** The one copy of `text` every session shares, when it is worth sharing. */
function share(text: string): string {
  if (text.length > MAX_SHARED_LINE) return text;
  const known = shared.get(text);
  if (known !== undefined) return known;
  if (shared.size < MAX_SHARED_LINES) shared.set(text, text);
  return text;
}

function line(name: string, value: string): string {
  const text = `${name}: ${value}`;
  return PER_SESSION.has(name) ? text : share(text);
}

/**
 * Copies what a session keeps of `request`. `rawHeaders`: the headers as
 * Node's flat `[name, value, …]` list, when the adapter has it (cheaper than
 * undici's sorted `Headers`). The method is not kept: an upgrade is a GET.
 */
export function copyRequest(request: Request, rawHeaders?: readonly string[]): RequestCopy {
  const copy = [share(request.url)];
  if (rawHeaders === undefined) {
    request.headers.forEach((value, name) => void copy.push(line(name, value)));
  } else {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) copy.push(line(rawHeaders[i]!.toLowerCase(), rawHeaders[i + 1]!));
  }
  return copy;
}

/** The URL of the copied request. */
export function urlOf(copy: RequestCopy): string {
  return copy[0]!;
}

/** A `Request` equal to the copied one (method GET, URL and headers). */
export function rebuildRequest(copy: RequestCopy): Request {
  const headers = new Headers();
  for (let i = 1; i < copy.length; i++) {
    const text = copy[i]!;
    const colon = text.indexOf(": ");
    headers.append(text.slice(0, colon), text.slice(colon + 2));
  }
  return new Request(urlOf(copy), { method: "GET", headers });
}
