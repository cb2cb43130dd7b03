// Footprint of a process from /proc (Linux only; elsewhere every reading is null = "n/a").
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

let clockTicks;
function ticksPerSecond() {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export const procAvailable = process.platform === 'linux';

/** { rssMb, hwmMb } from /proc/<pid>/status, or null. */
export function memory(pid) {
  if (!procAvailable || pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** CPU seconds (utime + stime) the process used so far, from /proc/<pid>/stat, or null. */
export function cpuSeconds(pid) {
  if (!procAvailable || pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** Measures a process's CPU share (percent of one core) between start() and the returned stop(). */
export function cpuMeter(pid) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  return () => {
    const cpu1 = cpuSeconds(pid);
    if (cpu0 === null || cpu1 === null) return null;
    const wall = (performance.now() - t0) / 1000;
    return wall > 0 ? ((cpu1 - cpu0) / wall) * 100 : null;
  };
}

/**
 * Totals over every thread of a process: context switches (voluntary and not, so each time a
 * thread was taken off the CPU: its wake-ups) and time on the CPU in nanoseconds (schedstat,
 * finer than the clock ticks of /proc/<pid>/stat). A thread that ends meanwhile drops out of
 * the sums; the processes measured here keep theirs. Null when /proc is not there.
 */
export function threadTotals(pid) {
  if (!procAvailable || pid === undefined) return null;
  let switches = 0;
  let cpuNs = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
        for (const m of status.matchAll(/ctxt_switches:\s+(\d+)/g)) switches += Number(m[1]);
        cpuNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
  } catch {
    return null;
  }
  return { switches, cpuNs };
}

/** Wake-ups a second and CPU (percent of one core) between start() and the returned stop(). */
export function threadMeter(pid) {
  const first = threadTotals(pid);
  const t0 = performance.now();
  return () => {
    const last = threadTotals(pid);
    const seconds = (performance.now() - t0) / 1000;
    if (first === null || last === null || seconds <= 0)
      return { wakeupsPerSecond: null, cpuPercent: null, seconds };
    return {
      wakeupsPerSecond: (last.switches - first.switches) / seconds,
      cpuPercent: ((last.cpuNs - first.cpuNs) / 1e9 / seconds) * 100,
      seconds,
    };
  };
}
