/**
 * Endpoint paths: exact paths (`/ws/echo`) and Jakarta URI templates
 * (`/chat/{room}`), where a `{name}` stands for one whole path segment.
 * @module
 */

/** A parsed endpoint path. */
export interface PathTemplate {
  /** The path as written. */
  readonly source: string;
  /** Literal segments as strings, variables as `null`. */
  readonly segments: readonly (string | null)[];
  /** Variable names, in the order of their segments. */
  readonly names: readonly string[];
  /** The path with variables blanked out: two templates with the same key collide. */
  readonly key: string;
  /** For an exact path: the path as a request's URL spells it (percent-encoded). */
  readonly requestPath: string;
}

/**
 * A literal segment as it appears in a parsed request URL's pathname, so that
 * `/café` matches a request for `/caf%C3%A9` (an already-encoded segment stays as it is).
 */
function asRequestSegment(segment: string): string {
  if (/^[A-Za-z0-9\-._~!$&'()*+,;=:@]*$/.test(segment)) return segment;
  return new URL(`http://h/${segment}`).pathname.slice(1);
}

const VARIABLE = /^\{([A-Za-z_][A-Za-z0-9_.-]*)\}$/;

/**
 * Parses an endpoint path.
 * @throws {TypeError} when `path` is not a string starting with `/`
 * @throws {Error} when a template is malformed (a brace outside a whole `{name}` segment, an empty or repeated name)
 */
export function parsePathTemplate(path: unknown): PathTemplate {
  if (typeof path !== "string") throw new TypeError(`path must be a string, got ${typeof path}`);
  if (!path.startsWith("/")) throw new TypeError(`path must start with "/", got ${JSON.stringify(path)}`);
  const parts = path.slice(1).split("/");
  const segments: (string | null)[] = [];
  const names: string[] = [];
  for (const part of parts) {
    if (!part.includes("{") && !part.includes("}")) {
      segments.push(asRequestSegment(part));
      continue;
    }
    const match = VARIABLE.exec(part);
    if (!match) {
      throw new Error(
        `path ${JSON.stringify(path)} is a malformed template: segment ${JSON.stringify(part)} must be a whole {name}`,
      );
    }
    const name = match[1]!;
    if (names.includes(name)) {
      throw new Error(`path ${JSON.stringify(path)} is a malformed template: {${name}} appears twice`);
    }
    names.push(name);
    segments.push(null);
  }
  const key = "/" + segments.map((s) => (s === null ? "{}" : s)).join("/");
  return { source: path, segments, names, key, requestPath: key };
}

/**
 * Matches a request path against a template; the percent-decoded values of its
 * variables, or `null` when it does not match.
 */
export function matchPathTemplate(template: PathTemplate, pathname: string): Record<string, string> | null {
  const parts = pathname.slice(1).split("/");
  const { segments, names } = template;
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  let variable = 0;
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    const part = parts[i]!;
    if (segment === null) {
      if (part === "") return null;
      let value: string;
      try {
        value = decodeURIComponent(part);
      } catch {
        return null;
      }
      params[names[variable++]!] = value;
    } else if (segment !== part) {
      return null;
    }
  }
  return params;
}

/**
 * Orders templates so the more specific wins: at the first segment where two
 * differ in kind, a literal beats a variable.
 */
export function compareTemplateSpecificity(a: PathTemplate, b: PathTemplate): number {
  const length = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < length; i++) {
    const aLiteral = a.segments[i] !== null;
    const bLiteral = b.segments[i] !== null;
    if (aLiteral !== bLiteral) return aLiteral ? -1 : 1;
  }
  return 0;
}

/** The parameters of a path with no variables: one frozen empty object, shared. */
export const NO_PATH_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Characters a URL path keeps as they are when parsed (unreserved, sub-delims, `:`, `@`, `/`);
 * `%`, `.` and everything else send {@linkcode requestPathname} to the URL parser.
 */
const PLAIN_PATH_CHAR = (() => {
  const table = new Uint8Array(128);
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~!$&'()*+,;=:@/") {
    table[c.charCodeAt(0)] = 1;
  }
  return table;
})();

/**
 * The pathname of a request's URL, as `new URL(href).pathname` gives it. A
 * serialized `http(s)://host/path` with only plain characters in its path is
 * read directly; anything else (percent-escapes, dot segments, other
 * characters) goes through the URL parser.
 */
export function requestPathname(href: string): string {
  const authority = href.indexOf("://");
  const start = authority < 0 ? -1 : href.indexOf("/", authority + 3);
  if (start > 0) {
    let end = start;
    for (; end < href.length; end++) {
      const c = href.charCodeAt(end);
      if (c === 0x3f || c === 0x23) break; // ? or #
      if (c >= 128 || PLAIN_PATH_CHAR[c] === 0) return new URL(href).pathname;
    }
    return href.slice(start, end);
  }
  return new URL(href).pathname;
}
