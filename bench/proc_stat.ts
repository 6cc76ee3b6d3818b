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

/** utime + stime (fields 14 and 15) of a `/proc/.../stat` line, in ticks. */
function statTicks(text: string): number {
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * CPU time used so far by process `pid`, all its threads, in microseconds: each live thread's
 * `/proc/<pid>/task/<tid>/schedstat` (nanoseconds on CPU, so a short window is not read in 10 ms
 * ticks), plus the ticks of threads that already exited (the process's `/proc/<pid>/stat` less its
 * live threads'). Read from outside, so reading it costs the process nothing (a `/stats` request
 * runs a full GC). Returns NaN where `/proc` is missing or the process is gone.
 */
export function processCpuMicros(pid: number): number {
  let tids: string[];
  let total: number;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
    total = statTicks(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return Number.NaN;
  }
  let nanos = 0;
  let liveTicks = 0;
  for (const tid of tids) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ", 1)[0]);
      liveTicks += statTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8"));
    } catch {
      // the thread exited meanwhile
    }
  }
  return nanos / 1000 + Math.max(0, total - liveTicks) * MICROS_PER_TICK;
}
