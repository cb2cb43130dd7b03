import type { SidecarEventKind } from '../core/events.js';

/**
 * The subject layout is a contract with subscribers (see README "Subjects and payloads"):
 *   <prefix>.events.<host>.<kind>      kind = session.start | session.stop | connection.open | connection.close | session.expired
 *   <prefix>.alerts.<host>.<severity>.<ruleId>
 *   <prefix>.rejects.<node>
 *   <prefix>.status.<node>
 * `<host>` and `<node>` are one token each; the real names stay in the payload.
 */

/** One subject token: characters outside `A-Za-z0-9_-` become `_` (dots, spaces, wildcards included). */
export function subjectToken(name: string): string {
  const token = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}

export interface Subjects {
  event(host: string, kind: SidecarEventKind): string;
  alert(host: string, severity: string, ruleId: string): string;
  reject(): string;
  status(): string;
}

export function createSubjects(prefix: string, node: string): Subjects {
  const nodeToken = subjectToken(node);
  const rejects = `${prefix}.rejects.${nodeToken}`;
  const status = `${prefix}.status.${nodeToken}`;
  return {
    event: (host, kind) => `${prefix}.events.${subjectToken(host)}.${kind}`,
    alert: (host, severity, ruleId) =>
      `${prefix}.alerts.${subjectToken(host)}.${severity}.${subjectToken(ruleId)}`,
    reject: () => rejects,
    status: () => status,
  };
}

/** The subjects each stream takes: the sidecars create the streams this way, the aggregator reads them. */
export function streamSubjects(prefix: string): { readonly events: string[]; readonly alerts: string[] } {
  return { events: [`${prefix}.events.>`, `${prefix}.rejects.>`], alerts: [`${prefix}.alerts.>`] };
}

/** Status messages are not kept in a stream: they go on core NATS under this wildcard. */
export function statusSubjects(prefix: string): string {
  return `${prefix}.status.>`;
}

/**
 * Whether a subject names what its message says it is about: the node (its CloudEvents
 * `source`) for a status or reject, the host (`data.host`) for an event or alert. NATS
 * permissions can vouch only for the subject (README "Who may publish": each node may publish on
 * its own subjects only), so a payload that claims another node or host is refused. Counted from
 * the end: the prefix may have dots of its own, and an event kind has one.
 */
export function subjectAgrees(subject: string, about: 'node' | 'host', name: string): boolean {
  const tokens = subject.split('.');
  const token = tokens[about === 'node' ? tokens.length - 1 : tokens.length - 3];
  return token === subjectToken(name);
}
