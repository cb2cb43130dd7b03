import type { AlertRecord } from '../types.js';

/** What every message format says about a notice, worded once. */

export type Origin = 'node' | 'cluster';

export function originOf(notice: AlertRecord, clusterHost: string): Origin {
  return notice.host === clusterHost ? 'cluster' : 'node';
}

/** `FIRING` or `RESOLVED`: the first word of every title, so a resolved message is told apart at a glance. */
export function statusWord(notice: AlertRecord): string {
  return notice.status === 'firing' ? 'FIRING' : 'RESOLVED';
}

/** `[FIRING] critical parallel-session-limit on SENSE-NODE1`; one line, no control characters. */
export function title(notice: AlertRecord, origin: Origin): string {
  const where = origin === 'cluster' ? 'the cluster' : notice.host;
  const repeat =
    notice.status === 'firing' && notice.notification > 1 ? ` (reminder ${notice.notification})` : '';
  return oneLine(`[${statusWord(notice)}] ${notice.severity} ${notice.rule} on ${where}${repeat}`);
}

/** The facts, as label/value pairs in a fixed order, for the formats that show a table. */
export function facts(notice: AlertRecord, origin: Origin): [string, string][] {
  const out: [string, string][] = [
    ['Rule', notice.rule],
    ['Severity', notice.severity],
    ['Status', notice.status],
    ['Key', notice.key],
    [
      origin === 'cluster' ? 'Origin' : 'Host',
      origin === 'cluster' ? 'cluster rule (aggregator)' : notice.host,
    ],
  ];
  if (origin === 'node') out.push(['Node', notice.node]);
  if (notice.description !== '') out.push(['Rule says', notice.description]);
  // Why it fired: each condition's fact value against its threshold (the firing notice's values).
  for (const c of notice.conditions.slice(0, 5))
    out.push([c.fact, `${c.value} (${c.operator} ${c.threshold}: ${c.result ? 'met' : 'not met'})`]);
  out.push(['Firing since', iso(notice.firingSince)]);
  if (notice.status === 'resolved') out.push(['Resolved at', iso(notice.time)]);
  else out.push(['Notice time', iso(notice.time)]);
  return out.map(([k, v]) => [k, oneLine(v)]);
}

export function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/** Control characters (line breaks included) become one space: safe in headers and titles. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, ' ').trim();
}
