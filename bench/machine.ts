/** Describes the machine and the tool versions, for results.json and the README. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { commandFor, ROOT_DIR } from "./runtimes.ts";

/** The environment a run was measured in. */
export interface MachineInfo {
  nproc: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  openFilesLimit: string;
  versions: Record<string, string>;
}

function tryRun(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { cwd: ROOT_DIR, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

function packageVersion(name: string): string {
  try {
    const text = readFileSync(join(ROOT_DIR, "node_modules", name, "package.json"), "utf8");
    return (JSON.parse(text) as { version?: string }).version ?? "unknown";
  } catch {
    return "not installed";
  }
}

function openFilesLimit(): string {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    return line?.split(/\s{2,}/)[1] ?? "unknown";
  } catch {
    return "unknown";
  }
}

/** Collects machine and version information (runs `deno --version` and `bun --version`). */
export function machineInfo(): MachineInfo {
  let model = cpus()[0]?.model ?? "unknown";
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    model = line?.split(":")[1]?.trim() ?? model;
  } catch {
    // not Linux: os.cpus() model
  }
  const [deno] = commandFor("deno", "");
  const [bun] = commandFor("bun", "");
  return {
    nproc: cpus().length,
    cpuModel: model,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: tryRun("uname", ["-sr"]),
    openFilesLimit: openFilesLimit(),
    versions: {
      node: process.version,
      deno: tryRun(deno, ["--version"]).split("\n")[0]?.replace(/^deno /, "") ?? "unknown",
      bun: tryRun(bun, ["--version"]),
      hono: packageVersion("hono"),
      "@hono/node-server": packageVersion("@hono/node-server"),
      ws: packageVersion("ws"),
      tsx: packageVersion("tsx"),
    },
  };
}
