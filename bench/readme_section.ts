/**
 * Sections of `bench/README.md` that another script owns: the text between
 * `<!-- NAME:begin -->` and `<!-- NAME:end -->`. `bench/run.ts` rewrites the README and keeps
 * them; `bench/scale.ts` rewrites only its own.
 */

function markers(name: string): [string, string] {
  return [`<!-- ${name}:begin -->`, `<!-- ${name}:end -->`];
}

/** The section `name` of `text`, markers included, or `""` when it has none. */
export function sectionOf(text: string, name: string): string {
  const [begin, end] = markers(name);
  const from = text.indexOf(begin);
  const to = text.indexOf(end, from);
  return from < 0 || to < 0 ? "" : text.slice(from, to + end.length);
}

/** `text` with its section `name` replaced by `body` (appended at the end when it has none). */
export function withSection(text: string, name: string, body: string): string {
  const [begin, end] = markers(name);
  const block = `${begin}\n${body.trim()}\n${end}`;
  const current = sectionOf(text, name);
  if (current !== "") return text.replace(current, () => block);
  return `${text.trimEnd()}\n\n${block}\n`;
}
