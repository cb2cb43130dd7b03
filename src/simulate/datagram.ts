import type { EventKind } from '../core/events.js';

/** What one simulated proxy event says; unset fields get the values a real node would send. */
export interface DatagramSpec {
  kind: EventKind;
  /** The Sense node's host name as log4net's `%hostname` prints it. */
  host: string;
  directory: string;
  userId: string;
  /** Defaults to `AppAccess`; system accounts send an empty origin. */
  origin?: string | undefined;
  /** Wins over `appId`; defaults to `/app/<appId>` when an app is given, `/hub/` otherwise. */
  context?: string | undefined;
  appId?: string | undefined;
  /** Appended to the default connection messages as `UserAgent: '<ua>'`. */
  userAgent?: string | undefined;
  /** Replaces the default message text entirely. */
  message?: string | undefined;
  /** Use the prefixes older Sense versions wrote (`/proxy-session/`, `/proxy-connection/`). */
  legacyPrefix?: boolean | undefined;
}

const COMMANDS: Readonly<Record<EventKind, string>> = {
  'session.start': 'Start session',
  'session.stop': 'Stop session',
  'connection.open': 'Open connection',
  'connection.close': 'Close connection',
};

function prefixFor(kind: EventKind, legacy: boolean): string {
  const channel = kind === 'session.start' || kind === 'session.stop' ? 'session' : 'connection';
  return legacy ? `/proxy-${channel}/` : `/qseow-proxy-${channel}/`;
}

/**
 * The default messages contain the substrings the appender's StringMatchFilters look for
 * (`Start session for user`, `connection Opened for session`, ...): a message without them would
 * never leave a real node, so the simulator never sends one by default.
 */
function defaultMessage(spec: DatagramSpec): string {
  const user = `'${spec.directory}\\${spec.userId}'`;
  const agent = spec.userAgent === undefined ? '' : ` UserAgent: '${spec.userAgent}'`;
  switch (spec.kind) {
    case 'session.start':
      return `Start session for user ${user}`;
    case 'session.stop':
      return `Stop session for user ${user}`;
    case 'connection.open':
      return `Engine connection Opened for session.${agent}`;
    case 'connection.close':
      return `Engine connection Closed for session.${agent}`;
  }
}

/**
 * The exact text a Sense node's UdpAppender sends for one event: eight `;`-separated fields,
 * UTF-8, no trailing newline. Fields are not escaped, as log4net does not escape them either;
 * only the message may contain `;`, because receivers treat everything after the seventh `;` as
 * the message.
 */
export function formatDatagram(spec: DatagramSpec): string {
  const context = spec.context ?? (spec.appId === undefined ? '/hub/' : `/app/${spec.appId}`);
  return [
    prefixFor(spec.kind, spec.legacyPrefix ?? false),
    spec.host,
    COMMANDS[spec.kind],
    spec.directory,
    spec.userId,
    spec.origin ?? 'AppAccess',
    context,
    spec.message ?? defaultMessage(spec),
  ].join(';');
}
