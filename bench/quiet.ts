/** Waits for the machine to be quiet before a measurement, so reruns are not wasted. */
import { machineBusyMicros } from "./proc_stat.ts";

const PROBE_MS = 500;

/**
 * Samples the machine's busy time in half-second steps until one step used less than
 * `maxCores` cores (the bench server sits idle meanwhile, so this is other processes) or
 * `maxWaitMs` passed. Returns the milliseconds waited beyond the first probe.
 */
export async function waitForQuiet(maxCores: number, maxWaitMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = machineBusyMicros();
    await new Promise((resolve) => setTimeout(resolve, PROBE_MS));
    const cores = (machineBusyMicros() - before) / (PROBE_MS * 1000);
    const waited = Date.now() - started - PROBE_MS;
    if (cores <= maxCores || waited >= maxWaitMs) return Math.max(0, waited);
  }
}
