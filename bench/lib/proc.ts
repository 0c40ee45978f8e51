import { readFileSync } from 'node:fs';

export interface MemorySample {
  rssKiB: number;
  hwmKiB: number;
}

/** VmRSS and VmHWM (peak RSS) of a live process, from /proc/<pid>/status; undefined once it is gone. */
export function readMemory(pid: number): MemorySample | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : Number.NaN;
  };
  return { rssKiB: field('VmRSS'), hwmKiB: field('VmHWM') };
}

const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU time a process has used so far, in milliseconds (from /proc/<pid>/stat). */
export function readCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state(0) ... utime(11) stime(12), in clock ticks.
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function readMachineCpu(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    const total = values.reduce((sum, v) => sum + v, 0);
    const idle = (values[3] ?? 0) + (values[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** A process that exited but was not reaped shows state Z; kill(pid, 0) alone would call it alive. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
