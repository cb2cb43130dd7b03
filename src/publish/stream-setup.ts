import {
  DiscardPolicy,
  JetStreamApiCodes,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { streamSubjects } from '../contract/subjects.js';
import type { Logger } from '../core/logger.js';
import { errorMessage } from './error-message.js';
import { isApiError } from './jetstream-errors.js';
import type { ProblemLog } from './problem-log.js';

/**
 * The events and alerts streams as the sidecar wants them, and making the server's match: a
 * missing stream is created, a stream lacking subjects or with another max age, duplicate window
 * or replica count is updated in place. Storage and retention cannot change in place: a
 * difference there is only reported. Nothing here throws: every problem is logged (through the
 * publisher's ProblemLog) and the records wait in the outbox, so a stream fixed by hand is used
 * as soon as it works. Several sidecars may race to create a stream; losing that race is normal.
 */

export interface JetStreamStreams {
  /** Stream for `<prefix>.events.>` and `<prefix>.rejects.>`. */
  readonly events: string;
  /** Stream for `<prefix>.alerts.>`. */
  readonly alerts: string;
  readonly replicas: number;
  readonly maxAgeMs: number;
  readonly duplicateWindowMs: number;
}

/** A stream as created: name and subjects always set. */
export type DesiredStream = Partial<StreamConfig> & { name: string; subjects: string[] };

export interface StreamSetup {
  readonly subjectPrefix: string;
  readonly streams: JetStreamStreams;
  readonly log: Logger;
  readonly problems: ProblemLog;
}

/** The two streams the sidecar publishes into, as it creates them. */
export function desiredStreams(
  subjectPrefix: string,
  streams: JetStreamStreams,
): [events: DesiredStream, alerts: DesiredStream] {
  const common = {
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: msToNanos(streams.maxAgeMs),
    duplicate_window: msToNanos(streams.duplicateWindowMs),
    num_replicas: streams.replicas,
  };
  const subjects = streamSubjects(subjectPrefix);
  return [
    { name: streams.events, subjects: subjects.events, ...common },
    { name: streams.alerts, subjects: subjects.alerts, ...common },
  ];
}

/** Checks, creates or updates both streams, one after the other; problems are logged, not thrown. */
export async function ensureStreams(jsm: JetStreamManager, setup: StreamSetup): Promise<void> {
  for (const desired of desiredStreams(setup.subjectPrefix, setup.streams)) {
    await ensureStream(jsm, desired, setup);
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  desired: DesiredStream,
  setup: StreamSetup,
): Promise<void> {
  const { log, problems } = setup;
  const { name } = desired;
  let info: StreamInfo | undefined;
  try {
    info = await jsm.streams.info(name);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) {
      problems.warn(name, `could not check JetStream stream ${name} (${errorMessage(error)})`);
      return;
    }
  }
  if (info === undefined) {
    try {
      await jsm.streams.add({ ...desired });
      log.info(
        {
          stream: name,
          subjects: desired.subjects,
          replicas: desired.num_replicas,
          maxAgeMs: setup.streams.maxAgeMs,
          duplicateWindowMs: setup.streams.duplicateWindowMs,
        },
        `created JetStream stream ${name}`,
      );
      problems.clear(name);
      return;
    } catch (error) {
      if (!isApiError(error, STREAM_NAME_IN_USE)) {
        problems.warn(
          name,
          `JetStream stream ${name} could not be created (${errorMessage(error)}); records for ${desired.subjects.join(', ')} wait in the outbox until a stream takes them`,
        );
        return;
      }
      // Another sidecar created it a moment ago: check it like an existing one.
      try {
        info = await jsm.streams.info(name);
      } catch (again) {
        problems.warn(name, `could not check JetStream stream ${name} (${errorMessage(again)})`);
        return;
      }
    }
  }
  const config = info.config;
  const changes: string[] = [];
  const update: Partial<StreamConfig> = {};
  const missing = desired.subjects.filter((s) => !config.subjects.some((have) => subjectCovers(have, s)));
  if (missing.length > 0) {
    update.subjects = [...config.subjects, ...missing];
    changes.push(`subjects ${config.subjects.join(', ')} lack ${missing.join(', ')}`);
  }
  if (config.max_age !== desired.max_age && desired.max_age !== undefined) {
    update.max_age = desired.max_age;
    changes.push(`max_age ${nanosText(config.max_age)} → ${nanosText(desired.max_age)}`);
  }
  if (config.duplicate_window !== desired.duplicate_window && desired.duplicate_window !== undefined) {
    update.duplicate_window = desired.duplicate_window;
    changes.push(
      `duplicate_window ${nanosText(config.duplicate_window)} → ${nanosText(desired.duplicate_window)}`,
    );
  }
  if (config.num_replicas !== desired.num_replicas && desired.num_replicas !== undefined) {
    update.num_replicas = desired.num_replicas;
    changes.push(`replicas ${config.num_replicas} → ${desired.num_replicas}`);
  }
  const fixed: string[] = [];
  if (config.storage !== desired.storage)
    fixed.push(`storage ${config.storage} (configured ${desired.storage})`);
  if (config.retention !== desired.retention)
    fixed.push(`retention ${config.retention} (configured ${desired.retention})`);
  if (fixed.length > 0) {
    problems.warn(
      `${name}:fixed`,
      `JetStream stream ${name} differs from the configuration in what cannot be changed in place: ${fixed.join(', ')}; left as is (recreate the stream to apply)`,
    );
  }
  if (changes.length === 0) {
    log.debug({ stream: name }, `JetStream stream ${name} as configured`);
    problems.clear(name);
    return;
  }
  try {
    await jsm.streams.update(name, update);
    log.info({ stream: name, changes }, `updated JetStream stream ${name}: ${changes.join('; ')}`);
    problems.clear(name);
  } catch (error) {
    problems.warn(
      name,
      `JetStream stream ${name} differs from the configuration (${changes.join('; ')}) and could not be updated (${errorMessage(error)}); left as is`,
    );
  }
}

/** JetStream API error code: a stream with that name exists already. */
const STREAM_NAME_IN_USE = 10058;

/** Whether stream subject `pattern` takes every subject `subject` (itself possibly a wildcard) takes. */
export function subjectCovers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i < s.length;
    const other = s[i];
    if (other === undefined) return false;
    if (other === '>') return false;
    if (token !== '*' && token !== other) return false;
  }
  return p.length === s.length;
}

function msToNanos(ms: number): number {
  return ms * 1_000_000;
}

function nanosText(nanos: number | undefined): string {
  if (nanos === undefined) return 'unset';
  if (nanos === 0) return 'unlimited';
  const ms = nanos / 1_000_000;
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
