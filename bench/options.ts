/** Command-line options of `bench/run.ts`. */
import type { ClientRuntime, Workload, WorkloadParams } from "./types.ts";
import { WORKLOADS } from "./types.ts";

/** Everything a run can be told. */
export interface Options {
  smoke: boolean;
  /** Rebuild README.md and results.svg from the existing results.json; measure nothing. */
  rerender: boolean;
  rounds: number;
  warmupSeconds: number;
  durationSeconds: number;
  /** Row ids or runtimes to keep (`--only deno,bun_hono`); empty = all. */
  only: string[];
  workloads: Workload[];
  client: ClientRuntime;
  /** A window where other processes used more than this fraction of one core is rerun. */
  maxOtherCpu: number;
  /** Reruns allowed per measurement before its last attempt is kept (and flagged). */
  maxReruns: number;
  /** Write results.json, results.svg and README.md (off with `--no-write`). */
  write: boolean;
  params: WorkloadParams;
}

/** The usage text printed by `--help`. */
export const USAGE = `usage: tsx bench/run.ts [options]
  --smoke                  start every server once, check /stats, /echo and /chat; exit 1 on failure
  --rerender               rebuild README.md and results.svg from bench/results.json (no measuring)
  --rounds N               interleaved rounds (default 5)
  --duration S             seconds measured per workload run (default 3)
  --warmup S               seconds of load before measuring (default 1)
  --only LIST              rows or runtimes, e.g. deno or bun_native,bun_hono (default all)
  --workloads LIST         of idle,echo,chat,connect,cluster (default all)
  --client bun|node        runtime of the load client (default bun: Bun's WebSocket; node: ws)
  --max-other-cpu F        rerun a window where other processes used > F cores (default 0.1)
  --max-reruns N           reruns per measurement (default 3)
  --echo-clients N --echo-window N --chat-clients N --chat-window N
  --message-bytes N --connect-concurrency N --idle-connections N
  --no-write               print only; do not rewrite results.json, results.svg, README.md
  cluster (bench/cluster/run_cluster.ts): --cluster-clients N (per process, default 16)
  --cluster-window N (default 4) --cluster-rate N (msg/s per client, latency phase, default 5)
  --cluster-only LIST (plinth_1_node,plinth_3_node,plinth_3_mixed,sio_1_node,sio_3_node)`;

/** Default options (`npm run bench` with no arguments). */
export function defaults(): Options {
  return {
    smoke: false,
    rerender: false,
    rounds: 5,
    warmupSeconds: 1,
    durationSeconds: 3,
    only: [],
    workloads: [...WORKLOADS],
    client: "bun",
    maxOtherCpu: 0.1,
    maxReruns: 3,
    write: true,
    params: {
      echoClients: 16,
      echoWindow: 16,
      chatClients: 16,
      chatWindow: 4,
      messageBytes: 64,
      connectConcurrency: 16,
      idleConnections: 3000,
    },
  };
}

function positive(name: string, value: string | undefined, integer = true): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new Error(`${name} needs a positive ${integer ? "integer" : "number"}, got ${value}`);
  }
  return n;
}

const PARAM_FLAGS: Record<string, keyof WorkloadParams> = {
  "--echo-clients": "echoClients",
  "--echo-window": "echoWindow",
  "--chat-clients": "chatClients",
  "--chat-window": "chatWindow",
  "--message-bytes": "messageBytes",
  "--connect-concurrency": "connectConcurrency",
  "--idle-connections": "idleConnections",
};

/** Parses `argv` (without the node and script paths); throws on an unknown or malformed flag. */
export function parseOptions(argv: readonly string[]): Options {
  const o = defaults();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] ?? "";
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const param = PARAM_FLAGS[flag];
    if (param) {
      o.params[param] = positive(flag, value());
      continue;
    }
    switch (flag) {
      case "--smoke":
        o.smoke = true;
        break;
      case "--rerender":
        o.rerender = true;
        break;
      case "--rounds":
        o.rounds = positive(flag, value());
        break;
      case "--duration":
        o.durationSeconds = positive(flag, value());
        break;
      case "--warmup":
        o.warmupSeconds = positive(flag, value(), false);
        break;
      case "--only":
        o.only = value().split(",").filter(Boolean);
        break;
      case "--workloads": {
        const list = value().split(",").filter(Boolean);
        for (const w of list) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${w}`);
        o.workloads = WORKLOADS.filter((w) => list.includes(w));
        break;
      }
      case "--client": {
        const v = value();
        if (v !== "bun" && v !== "node") throw new Error("--client is bun or node");
        o.client = v;
        break;
      }
      case "--max-other-cpu":
        o.maxOtherCpu = positive(flag, value(), false);
        break;
      case "--max-reruns":
        o.maxReruns = Number(value());
        if (!Number.isInteger(o.maxReruns) || o.maxReruns < 0) throw new Error("--max-reruns needs an integer >= 0");
        break;
      case "--no-write":
        o.write = false;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (o.params.chatClients > 64) throw new Error("--chat-clients is at most 64");
  return o;
}
