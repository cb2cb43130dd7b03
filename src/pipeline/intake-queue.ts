import type { ReceiveMeta } from '../core/events.js';

/** What the socket hands to the decoder through the bounded intake queue (`BoundedQueue<Datagram>`). */
export interface Datagram {
  readonly bytes: Uint8Array;
  readonly meta: ReceiveMeta;
  /** Whether the sender passed `udp.allowedSources`. */
  readonly allowed: boolean;
}
