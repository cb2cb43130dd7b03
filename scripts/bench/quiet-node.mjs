// A quiet node: what a process costs while a Sense node is idle or sends a few events a second.
// The same profile is taken of the floor (a bare Node.js socket that only counts datagrams) and
// of the sidecar, each alone, with the same sender: wake-ups a second (context switches of all
// threads), CPU (schedstat, percent of one core) and RSS idle, then wake-ups and CPU at 5 and
// 100 events/s. The targets are ratios to the floor of the same run (issue: a quiet node pays
// nothing), so a slower or busier machine moves both sides alike.
import { memory, threadMeter } from './proc.mjs';

export const QUIET_RATES = [5, 100];

const round = (n, digits) => (n === null || !Number.isFinite(n) ? null : Number(n.toFixed(digits)));

function reading(meter) {
  const { wakeupsPerSecond, cpuPercent, seconds } = meter();
  return {
    wakeupsPerSecond: round(wakeupsPerSecond, 2),
    cpuPercent: round(cpuPercent, 3),
    seconds: round(seconds, 2),
  };
}

/**
 * Going quiet for `goingQuietSeconds`, then idle for `idleSeconds` (both after `settleSeconds` of
 * quiet, so the warm-up's own tail is not counted), then `rateSeconds` at each of QUIET_RATES.
 * Going quiet is what a node does once after a load (the sidecar writes the state the load left,
 * within one `state.snapshotInterval`; V8 finishes compiling in the background): it is printed,
 * and the idle targets are judged on the steady idle that follows, as a node idle for the night
 * is. `sendAt(rate, count, onStart)` sends and resolves with the sender's result; the CPU window
 * opens at `onStart` (after the sender's own start-up). `thenIdle()`, when given, runs after the
 * rates, as the node goes idle again, and what it resolves with is added to the idle figures: it
 * comes last so that nothing it waits for (the idle trim) changes the figures at the rates,
 * which a node busy all day never pays.
 */
export async function quietProfile({
  pid,
  settleSeconds,
  goingQuietSeconds,
  idleSeconds,
  rateSeconds,
  sendAt,
  thenIdle,
}) {
  await pause(settleSeconds);
  const goingQuietMeter = threadMeter(pid);
  await pause(goingQuietSeconds);
  const goingQuiet = reading(goingQuietMeter);
  const idleMeter = threadMeter(pid);
  await pause(idleSeconds);
  const idle = { ...reading(idleMeter), rssMb: round(memory(pid)?.rssMb ?? null, 1) };
  const rates = {};
  for (const rate of QUIET_RATES) {
    let meter = threadMeter(pid);
    const sent = await sendAt(rate, Math.max(1, Math.round(rate * rateSeconds)), () => {
      meter = threadMeter(pid);
    });
    rates[rate] = { ...reading(meter), sent: sent.sent };
  }
  if (thenIdle !== undefined) Object.assign(idle, await thenIdle());
  return { goingQuiet, idle, rates };
}

/**
 * The idle trim (memory.idleTrimAfter) of a sidecar that has just gone quiet: waits for its next
 * one, then reads the RSS it left.
 */
export async function afterTrim(sidecar, timeoutMs) {
  const trim = await sidecar.nextTrim(timeoutMs);
  if (trim === null) return { trimMs: null, rssAfterTrimMb: null };
  return { trimMs: trim.ms ?? null, rssAfterTrimMb: round(memory(sidecar.pid)?.rssMb ?? null, 1) };
}

/** RSS after `seconds` of quiet: for a process that is only weighed, not profiled. */
export async function idleRssMb({ pid, seconds }) {
  await pause(seconds);
  return round(memory(pid)?.rssMb ?? null, 1);
}

/** a / b to two decimals, or null when either is unknown. */
export function ratioOver(a, b) {
  return a === null || b === null || b <= 0 ? null : round(a / b, 2);
}

/** The sidecar's figures over the floor's: what each target is judged on. */
export function quietRatios(sidecar, floor) {
  return {
    idleRss: ratioOver(sidecar.idle.rssMb, floor.idle.rssMb),
    idleRssAfterTrim: ratioOver(sidecar.idle.rssAfterTrimMb ?? null, floor.idle.rssMb),
    idleCpu: ratioOver(sidecar.idle.cpuPercent, floor.idle.cpuPercent),
    idleWakeups: ratioOver(sidecar.idle.wakeupsPerSecond, floor.idle.wakeupsPerSecond),
    goingQuietCpu: ratioOver(sidecar.goingQuiet.cpuPercent, floor.goingQuiet.cpuPercent),
    ...Object.fromEntries(
      QUIET_RATES.flatMap((rate) => [
        [`cpuAt${rate}`, ratioOver(sidecar.rates[rate].cpuPercent, floor.rates[rate].cpuPercent)],
        [
          `wakeupsAt${rate}`,
          ratioOver(sidecar.rates[rate].wakeupsPerSecond, floor.rates[rate].wakeupsPerSecond),
        ],
      ]),
    ),
  };
}

function pause(seconds) {
  return new Promise((resolve) => setTimeout(resolve, seconds * 1000));
}
