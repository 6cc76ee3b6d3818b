/**
 * Short or full: `npm test` runs the reliability suite small (seconds per
 * file); `npm run test:faults` sets `PLINTH_FAULTS_FULL=1` for the full sizes.
 * Results are appended as JSON lines to `PLINTH_RELIABILITY_OUT` when it is
 * set (the full driver collects them into the table of `docs/reliability.md`).
 * @module
 */
import { appendFileSync } from "node:fs";
import process from "node:process";
import { ADAPTER } from "../support/runtime.ts";

/** True under `npm run test:faults` (`PLINTH_FAULTS_FULL=1`). */
export const FULL: boolean = process.env.PLINTH_FAULTS_FULL === "1";

/**
 * `PLINTH_RUN_TODO=1` runs the tests marked `todo` for a known runtime
 * limitation as ordinary tests, to see whether the limitation still holds.
 */
export const RUN_TODO: boolean = process.env.PLINTH_RUN_TODO === "1";

/** `short` in the short run, `full` in the full run. */
export function pick<T>(short: T, full: T): T {
  return FULL ? full : short;
}

/** A number from the environment, else `fallback`. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a number, got ${raw}`);
  return value;
}

/** One measured result: what was tried on which adapter, and the numbers seen. */
export interface ResultRow {
  /** Which fault (`slow consumer`, `hostile input`, `load`, …). */
  readonly fault: string;
  /** Named numbers and facts: cases, sessions, messages, peak RSS, durations. */
  readonly numbers: Record<string, number | string | boolean>;
}

/** Prints `row` and appends it, with the adapter and the run size, to `PLINTH_RELIABILITY_OUT` when set. */
export function recordResult(row: ResultRow): void {
  const line = JSON.stringify({ adapter: ADAPTER, full: FULL, ...row });
  console.log(`reliability result: ${line}`);
  const out = process.env.PLINTH_RELIABILITY_OUT;
  if (out !== undefined && out !== "") appendFileSync(out, line + "\n");
}
