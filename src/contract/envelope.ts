/**
 * The CloudEvents 1.0 structured-mode JSON envelope every sidecar and aggregator message
 * travels in (README "Subjects and payloads"). Both programs build and read envelopes only
 * through this module, so the `source` convention has one spelling.
 */
export interface CloudEvent<T> {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: T;
}

/** The envelope fields of a received message; `data` is unchecked (see decodeMessage). */
export interface ReceivedEnvelope {
  readonly id: string;
  readonly type: string;
  readonly source: string;
  readonly time: string;
  readonly data: unknown;
}

const SOURCE_PREFIX = 'sense-sidecar/';

export function sourceOf(node: string): string {
  return SOURCE_PREFIX + node;
}

/** `sense-sidecar/<node>` → `<node>`; any other source is taken whole as the node name. */
export function nodeOfSource(source: string): string {
  return source.startsWith(SOURCE_PREFIX) ? source.slice(SOURCE_PREFIX.length) : source;
}

export function envelope<T>(type: string, data: T, id: string, node: string, time: number): CloudEvent<T> {
  return {
    specversion: '1.0',
    id,
    source: sourceOf(node),
    type,
    time: new Date(time).toISOString(),
    datacontenttype: 'application/json',
    data,
  };
}

/** The envelope fields of a parsed JSON message, or null when it is not a CloudEvent. */
export function readEnvelope(value: unknown): ReceivedEnvelope | null {
  if (!isRecord(value)) return null;
  const { id, type, source, time } = value;
  if (typeof id !== 'string' || typeof type !== 'string') return null;
  if (typeof source !== 'string' || typeof time !== 'string') return null;
  return { id, type, source, time, data: value.data };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
