/** Machine-wide CPU time from Linux's `/proc/stat`, to spot other processes during a window. */
import { readdirSync, readFileSync } from "node:fs";

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

/**
 * CPU time used so far by process `pid`, all its threads, in microseconds, from each thread's
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on CPU): precise to the nanosecond rather than
 * the 10 ms tick of `/proc/<pid>/stat`, and read from outside, so reading it costs the process
 * nothing (a `/stats` request runs a full GC). Threads that already exited are not counted.
 * Returns NaN where `/proc` is missing or the process is gone.
 */
export function processCpuMicros(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  let nanos = 0;
  for (const tid of tids) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ", 1)[0]);
    } catch {
      // the thread exited meanwhile
    }
  }
  return nanos / 1000;
}
