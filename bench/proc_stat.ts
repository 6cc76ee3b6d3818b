/** Machine-wide CPU time from Linux's `/proc/stat`, to spot other processes during a window. */
import { readFileSync } from "node:fs";

/** Linux reports /proc/stat in USER_HZ ticks, 100 per second on every mainstream kernel. */
const MICROS_PER_TICK = 10_000;

/**
 * Busy CPU time of the whole machine (all cores) since boot, in microseconds: user, nice,
 * system, irq, softirq and steal (guest time is already part of user). Returns 0 where
 * `/proc/stat` is missing (not Linux), which turns the disturbance check off.
 */
export function machineBusyMicros(): number {
  let text: string;
  try {
    text = readFileSync("/proc/stat", "utf8");
  } catch {
    return 0;
  }
  const line = text.split("\n", 1)[0] ?? "";
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) * MICROS_PER_TICK;
}
