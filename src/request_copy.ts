/**
 * What a session keeps of its upgrade request, for `session.request` and
 * `session.requestURI` for the whole life of the connection: the URL and the
 * header lines, taken before the runtime consumes the request (Deno closes it
 * on upgrade).
 *
 * Most of a handshake is the same for every client of a server: `host`,
 * `upgrade`, `connection`, the version, and a browser's `user-agent`,
 * `origin` and `accept-language`. Those lines, and the names of the lines
 * that differ on every handshake (the key, cookies, credentials), make a
 * {@linkcode HeaderLayout} kept once per process and shared; a session keeps
 * only the values of its own lines. A handshake is first compared line by line
 * with the previous one's layout, so the common case builds no string at all.
 * @module
 */

/** Headers that differ on every handshake: never worth sharing. */
function differsPerSession(name: string): boolean {
  return name === "sec-websocket-key" || name === "cookie" || name === "authorization";
}

/**
 * The shape of a handshake's header list, in the order it was read: the lines
 * clients send alike (name and value), then the names of the lines whose value
 * each session keeps itself. Shared by every session whose handshake has it.
 */
export class HeaderLayout {
  constructor(
    readonly names: readonly string[],
    readonly values: readonly string[],
    readonly ownNames: readonly string[],
  ) {}
}

/** What {@linkcode copyRequest} takes of a request: the session stores the three parts as they are. */
export class RequestCopy {
  constructor(
    /** The request URL (shared with the previous handshake's when equal). */
    readonly url: string,
    /** The header layout (shared). */
    readonly layout: HeaderLayout,
    /** The values of `layout.ownNames`, joined with `"\n"` (a header value never holds a line break); one value is kept as is. */
    readonly ownValues: string,
  ) {}
}

/** Layouts up to this many characters of text are shared between sessions; longer ones are kept per session. */
const MAX_SHARED_LAYOUT_TEXT = 2048;
/** At most this many distinct layouts are shared, so hostile headers cannot grow the table without bound. */
const MAX_SHARED_LAYOUTS = 1024;
/** Shared layouts by their text. */
const layouts = new Map<string, HeaderLayout>();

// The comparison with the previous handshake's layout runs as a header-list callback with no
// closure per handshake: its state lives here (copies are synchronous and never nest).
let recentUrl = "";
let recent = new HeaderLayout([], [], []);
let commonAt = 0;
let ownAt = 0;
let matches = true;
let ownValues = "";

function compareLine(value: string, name: string): void {
  if (differsPerSession(name)) {
    ownValues = ownAt === 0 ? value : `${ownValues}\n${value}`;
    if (matches && recent.ownNames[ownAt] !== name) matches = false;
    ownAt++;
  } else if (matches && recent.names[commonAt] === name && recent.values[commonAt] === value) {
    commonAt++;
  } else {
    matches = false;
  }
}

// Used only when the handshake differs from the previous one's layout.
let names: string[] = [];
let values: string[] = [];
let ownNames: string[] = [];

function collectLine(value: string, name: string): void {
  if (differsPerSession(name)) {
    ownNames.push(name);
  } else {
    names.push(name);
    values.push(value);
  }
}

/** The shared layout equal to the collected lines (made and shared when new, if the table has room). */
function collectedLayout(): HeaderLayout {
  let text = ownNames.join(",");
  for (let i = 0; i < names.length; i++) text += `\n${names[i]}: ${values[i]}`;
  const known = layouts.get(text);
  if (known !== undefined) return known;
  const layout = new HeaderLayout(names, values, ownNames);
  if (text.length <= MAX_SHARED_LAYOUT_TEXT && layouts.size < MAX_SHARED_LAYOUTS) layouts.set(text, layout);
  return layout;
}

/** Bun's `Headers.toJSON()`: every line in one call (`set-cookie` as a list), much cheaper there than `forEach`. */
type HeaderRecord = Record<string, string | string[]>;

/**
 * Calls `line(value, name)` for every header line, in one stable order: from Node's flat raw
 * list (names lowercased) when the adapter has it, else from the request's `Headers`.
 */
function eachLine(
  request: Request,
  rawHeaders: readonly string[] | undefined,
  line: (value: string, name: string) => void,
): void {
  if (rawHeaders !== undefined) {
    for (let i = 0; i + 1 < rawHeaders.length; i += 2) line(rawHeaders[i + 1]!, rawHeaders[i]!.toLowerCase());
    return;
  }
  const headers = request.headers;
  const toJSON = (headers as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== "function") {
    headers.forEach(line);
    return;
  }
  const record = toJSON.call(headers) as HeaderRecord;
  for (const name in record) {
    const value = record[name]!;
    if (typeof value === "string") line(value, name);
    else for (const each of value) line(each, name);
  }
}

/**
 * Copies what a session keeps of `request`. `rawHeaders`: the headers as
 * Node's flat `[name, value, …]` list, when the adapter has it (cheaper than
 * undici's sorted `Headers`). The method is not kept: an upgrade is a GET.
 */
export function copyRequest(request: Request, rawHeaders?: readonly string[]): RequestCopy {
  const url = request.url;
  if (url !== recentUrl) recentUrl = url;
  commonAt = 0;
  ownAt = 0;
  matches = true;
  ownValues = "";
  eachLine(request, rawHeaders, compareLine);
  if (!matches || commonAt !== recent.names.length || ownAt !== recent.ownNames.length) {
    names = [];
    values = [];
    ownNames = [];
    eachLine(request, rawHeaders, collectLine);
    recent = collectedLayout();
  }
  const own = ownValues;
  ownValues = "";
  return new RequestCopy(recentUrl, recent, own);
}

/** A `Request` equal to the copied one (method GET, URL and headers). */
export function rebuildRequest(url: string, layout: HeaderLayout, ownValues: string): Request {
  const headers = new Headers();
  for (let i = 0; i < layout.names.length; i++) headers.append(layout.names[i]!, layout.values[i]!);
  const own = layout.ownNames.length === 1 ? [ownValues] : ownValues.split("\n");
  for (let i = 0; i < layout.ownNames.length; i++) headers.append(layout.ownNames[i]!, own[i]!);
  return new Request(url, { method: "GET", headers });
}
