/**
 * The benchmark's entry point: `npx tsx bench/run.ts [options]` (`npm run bench`).
 * See bench/README.md for the method and the options (`--help` prints them).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { summarise } from "./aggregate.ts";
import { machineInfo } from "./machine.ts";
import { type Options, parseOptions, USAGE } from "./options.ts";
import { type RunReport, writeReport } from "./readme.ts";
import { ROWS, type Row } from "./registry.ts";
import { runRounds } from "./rounds.ts";
import { BENCH_DIR } from "./runtimes.ts";
import { runSmoke } from "./smoke.ts";
import { allTables } from "./table.ts";
import { parseClusterOptions, runCluster } from "./cluster/run_cluster.ts";

const log = (line: string): void => console.log(line);

/** The selected rows whose server file exists; logs the ones skipped. */
function selectRows(options: Options): { rows: Row[]; skipped: string[] } {
  const wanted = ROWS.filter((r) => options.only.length === 0 || options.only.includes(r.id) || options.only.includes(r.runtime));
  const unknown = options.only.filter((name) => !ROWS.some((r) => r.id === name || r.runtime === name));
  if (unknown.length > 0) throw new Error(`--only: unknown row or runtime ${unknown.join(", ")}`);
  const rows: Row[] = [];
  const skipped: string[] = [];
  for (const row of wanted) {
    if (existsSync(join(BENCH_DIR, row.file))) rows.push(row);
    else {
      skipped.push(row.id);
      log(`skip ${row.id}: bench/${row.file} does not exist yet`);
    }
  }
  return { rows, skipped };
}

/** `--rerender`: summaries, tables, chart and README again from results.json. */
function rerender(): number {
  const report = JSON.parse(readFileSync(join(BENCH_DIR, "results.json"), "utf8")) as RunReport;
  report.summaries = summarise(report.rows, report.options.workloads, report.outcome.measurements);
  log(allTables(report.options.workloads, report.rows, report.summaries));
  writeReport(report);
  log("rewrote bench/results.json, bench/results.svg, bench/README.md from bench/results.json");
  return 0;
}

const CLUSTER_FLAGS = ["--cluster-clients", "--cluster-window", "--cluster-rate", "--cluster-only"];

/**
 * Takes the `cluster` workload out of the arguments: whether to run it (named in `--workloads`,
 * or no `--workloads` at all), and the arguments left for the row workloads (`null`: none).
 */
function splitCluster(argv: string[]): { cluster: boolean; rest: string[] | null } {
  const rest = argv.filter((arg, i) => !CLUSTER_FLAGS.includes(arg) && !CLUSTER_FLAGS.includes(argv[i - 1] ?? ""));
  const at = rest.indexOf("--workloads");
  if (at < 0) return { cluster: !argv.includes("--smoke") && !argv.includes("--rerender"), rest };
  const list = (rest[at + 1] ?? "").split(",").filter(Boolean);
  if (!list.includes("cluster")) return { cluster: false, rest };
  const others = list.filter((w) => w !== "cluster");
  if (others.length === 0) return { cluster: true, rest: null };
  rest.splice(at + 1, 1, others.join(","));
  return { cluster: true, rest };
}

async function main(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    log(USAGE);
    return 0;
  }
  const { cluster, rest } = splitCluster(argv);
  const clusterFailed = async (): Promise<boolean> => {
    if (!cluster) return false;
    log("\ncluster workload: three server processes on one Redis, beside one process and Socket.IO");
    const measurements = await runCluster(parseClusterOptions(argv), log);
    return measurements.some((m) => m.error !== undefined);
  };
  if (rest === null) return (await clusterFailed()) ? 1 : 0;
  const options = parseOptions(rest);
  if (options.rerender) return rerender();
  const { rows, skipped } = selectRows(options);
  if (rows.length === 0) throw new Error("no rows to run");

  if (options.smoke) {
    const failures = await runSmoke(rows, options, log);
    log(failures.length === 0 ? `smoke: ${rows.length} servers ok` : `smoke: ${failures.length} of ${rows.length} servers failed`);
    return failures.length === 0 ? 0 : 1;
  }

  const command = `npx tsx bench/run.ts${argv.length > 0 ? ` ${argv.join(" ")}` : ""}`;
  const startedAt = new Date().toISOString();
  const machine = machineInfo();
  log(`${command}\n${machine.nproc} × ${machine.cpuModel}; ${Object.entries(machine.versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  log(`rows: ${rows.map((r) => r.id).join(", ")}; workloads: ${options.workloads.join(", ")}; ${options.rounds} rounds; client: ${options.client}`);
  const outcome = await runRounds(rows, options, log);
  const summaries = summarise(rows, options.workloads, outcome.measurements);
  const disturbedKept = outcome.measurements.filter((m) => m.disturbed).length;
  log(`\n${allTables(options.workloads, rows, summaries)}\n`);
  log(`reruns of disturbed windows: ${outcome.reruns}; kept while still disturbed: ${disturbedKept}; failures: ${outcome.failures.length}`);

  if (options.write) {
    writeReport({
      command,
      startedAt,
      finishedAt: new Date().toISOString(),
      machine,
      options,
      rows,
      skipped,
      clientName: options.client === "bun" ? "Bun's built-in WebSocket" : "ws",
      outcome,
      summaries,
    });
    log("wrote bench/results.json, bench/results.svg, bench/README.md");
  }
  const clusterBroke = await clusterFailed();
  return outcome.failures.length === 0 && !clusterBroke ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
