/**
 * Domain types of the sidecar. A `UserEvent` is what one proxy datagram means; it carries no
 * receive metadata so that decode stays a pure function of the bytes.
 */

export const EVENT_KINDS = ['session.start', 'session.stop', 'connection.open', 'connection.close'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export interface UserRef {
  readonly directory: string;
  readonly id: string;
}

/** What the user agent string of a connection message says; parts the parser cannot tell are null. */
export interface UserAgentInfo {
  readonly raw: string;
  readonly browser: string | null;
  readonly browserVersion: string | null;
  readonly os: string | null;
  readonly osVersion: string | null;
}

interface EventFields {
  /** The Sense node that sent the datagram, as it wrote it (may contain dots). */
  readonly host: string;
  readonly user: UserRef;
  readonly origin: string;
  readonly context: string;
  /** GUID after `/app/` in the context, lower-cased; null when the context names no app. */
  readonly appId: string | null;
  readonly userAgent: UserAgentInfo | null;
  readonly message: string;
}

export interface SessionStart extends EventFields {
  readonly kind: 'session.start';
}
export interface SessionStop extends EventFields {
  readonly kind: 'session.stop';
}
export interface ConnectionOpen extends EventFields {
  readonly kind: 'connection.open';
}
export interface ConnectionClose extends EventFields {
  readonly kind: 'connection.close';
}

export type UserEvent = SessionStart | SessionStop | ConnectionOpen | ConnectionClose;

/** Where and when a datagram was read; attached by the socket shell, never by decode. */
export interface ReceiveMeta {
  /** Epoch milliseconds from the injected clock at the moment the socket handed us the datagram. */
  readonly receivedAt: number;
  readonly source: { readonly address: string; readonly port: number };
}

/** The key a user is matched by everywhere: directory and id, case-insensitive (Qlik compares them so). */
export function userKeyOf(user: UserRef): string {
  return `${user.directory}\\${user.id}`.toLowerCase();
}

/** `DIRECTORY\userId`, the form Qlik itself prints and the form operators write in lists. */
export function qualifiedUser(user: UserRef): string {
  return `${user.directory}\\${user.id}`;
}

/**
 * Not on the wire: the sidecar's own verdict that a user's sessions ended unseen (the stop
 * datagram was lost), after the inactivity timeout plus a grace period with no open
 * connection and no event. Published like an event so subscribers can close those sessions.
 */
export interface SessionExpired extends EventFields {
  readonly kind: 'session.expired';
  /** How many of the user's sessions on this host were closed by the expiry. */
  readonly sessions: number;
  /** Epoch ms of the user's last event on this host. */
  readonly lastActivityAt: number;
}

/** Everything the pipeline after decode handles: wire events and expiries. */
export type SidecarEvent = UserEvent | SessionExpired;
export type SidecarEventKind = SidecarEvent['kind'];
