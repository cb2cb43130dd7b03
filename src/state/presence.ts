import type { UserRef } from '../core/events.js';
import type { Linked, LinkedList } from './linked-list.js';

/** The open connections of a presence without any: shared, never written to. */
export const NO_APPS: readonly (string | null)[] = Object.freeze([]);

/**
 * What one user has open on one host. Exists only while it holds a session or a connection:
 * a presence whose counts both reach 0 is deleted at once, so nothing idle is ever kept here.
 */
export interface Presence extends Linked<Presence> {
  readonly host: string;
  /** userKeyOf(user); the one instance of this string the state's maps share. */
  readonly userKey: string;
  /** Spelling of the event that created the presence, for output. */
  readonly user: UserRef;
  /** Sessions started and not yet stopped; never negative. */
  sessions: number;
  /**
   * One entry per open connection, oldest first: its app id, or null when the connection named
   * no app. A plain array (a user rarely has more than a few tabs open), replaced rather than
   * grown so that its backing store is exactly its length; capped (MAX_CONNECTIONS_PER_PRESENCE).
   */
  apps: readonly (string | null)[];
  /** Epoch ms of the latest event of this user on this host. */
  lastActivityAt: number;
  /** Links of the idle or connected list (see SessionTable); null at the ends or when unlinked. */
  prev: Presence | null;
  next: Presence | null;
  list: LinkedList<Presence> | null;
}
