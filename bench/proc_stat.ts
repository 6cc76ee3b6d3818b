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

/** CPU time of each live thread of a process (tid → nanoseconds on CPU), at one moment. */
export type CpuSnapshot = Map<string, number>;

/**
 * The CPU time of each live thread of process `pid`, from `/proc/<pid>/task/<tid>/schedstat`
 * (nanoseconds on CPU, so a short window is not read in 10 ms ticks). Read from outside, so
 * reading it costs the process nothing (a `/stats` request runs a full GC). Empty where `/proc`
 * is missing or the process is gone.
 */
export function cpuSnapshot(pid: number): CpuSnapshot {
  const threads: CpuSnapshot = new Map();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return threads;
  }
  for (const tid of tids) {
    try {
      threads.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ", 1)[0]));
    } catch {
      // the thread exited meanwhile
    }
  }
  return threads;
}

/**
 * CPU microseconds a process used between two snapshots: the growth of each thread alive at
 * both, plus the whole of threads born in between. A thread that exited in between is not counted
 * (its last moments are lost; runtimes' helper threads rarely exit while a server runs).
 */
export function cpuMicrosBetween(before: CpuSnapshot, after: CpuSnapshot): number {
  let nanos = 0;
  for (const [tid, value] of after) nanos += value - (before.get(tid) ?? 0);
  return nanos / 1000;
}
