/**
 * Every option field of the public API documents its default with a
 * `@default {value}` tag (the form `deno doc` reads): the optional properties
 * of every exported `*Options` interface and the settings of `EndpointMap`, in
 * every entry point of deno.json. Fields that have no default (an abort
 * signal, a router's values) are listed below with the reason.
 *
 * Run: `npx tsx --test tests/docs/option_defaults.test.ts`
 * @module
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const root = new URL("../..", import.meta.url).pathname;

/** Option fields without a default value, and why. */
const NO_DEFAULT: Record<string, string> = {
  "ServeOptions.signal": "no signal: the server stops only through shutdown()",
  "UpgradeOptions.pathParameters": "the router's values; none means an empty object",
  "NodeUpgradeOptions.protocol": "its absence has a meaning of its own (ws answers the client's first offer)",
};

interface DocProperty {
  name: string;
  optional?: boolean;
  jsDoc?: { tags?: { kind: string }[] };
}
interface DocSymbol {
  name: string;
  declarations: { kind: string; def: { properties?: DocProperty[] } }[];
}

test("every option field has a @default tag", () => {
  const exported = (JSON.parse(readFileSync(join(root, "deno.json"), "utf8")) as { exports: Record<string, string> }).exports;
  const entries = Object.values(exported).map((file) => file.slice(2));
  const json = execFileSync(join(root, "node_modules", ".bin", "deno"), ["doc", "--json", ...entries], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 64 * 1024 * 1024,
  });
  const nodes = (JSON.parse(json) as { nodes: Record<string, { symbols: DocSymbol[] }> }).nodes;
  const checked = new Set<string>();
  const missing = new Set<string>();
  for (const module of Object.values(nodes)) {
    for (const symbol of module.symbols) {
      if (!symbol.name.endsWith("Options") && symbol.name !== "EndpointMap") continue;
      for (const declaration of symbol.declarations) {
        if (declaration.kind !== "interface") continue;
        for (const property of declaration.def.properties ?? []) {
          if (!property.optional) continue;
          const field = `${symbol.name}.${property.name}`;
          checked.add(field);
          const tagged = property.jsDoc?.tags?.some((tag) => tag.kind === "default") ?? false;
          if (!tagged && !(field in NO_DEFAULT)) missing.add(field);
        }
      }
    }
  }
  assert.ok(checked.has("ContainerOptions.defaultMaxIdleTimeoutMs") && checked.has("EndpointMap.idleTimeoutMs"), "the walk found the options");
  assert.deepEqual([...missing].sort(), [], "option fields without a @default {value} tag");
});
