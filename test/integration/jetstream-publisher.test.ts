import {
  jetstream,
  type JetStreamManager,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterEach, describe, expect, it } from 'vitest';
import { createCounters, type StageCounters } from '../../src/core/counters.js';
import { createIdGenerator } from '../../src/core/ids.js';
import {
  JetStreamPublisher,
  type JetStreamPublisherOptions,
  subjectCovers,
} from '../../src/publish/jetstream-publisher.js';
import { MemoryOutbox } from '../helpers/memory-outbox.js';
import type { OutboxRecord, RecordPriority } from '../../src/publish/outbox.js';
import { NatsServer } from '../helpers/nats-server.js';
import { waitFor } from '../helpers/wait.js';
import { captureLog, type LogLine } from '../helpers/capture.js';

const PREFIX = 'sense';
const HOUR_MS = 3_600_000;
const STREAMS = {
  events: 'T_EVENTS',
  alerts: 'T_ALERTS',
  replicas: 1,
  maxAgeMs: 2 * HOUR_MS,
  duplicateWindowMs: 10 * 60_000,
};

const nextId = createIdGenerator(() => Date.now());
const SUBJECTS: readonly [string, RecordPriority][] = [
  [`${PREFIX}.events.NODE1.session.start`, 'event'],
  [`${PREFIX}.events.NODE2.connection.open`, 'event'],
  [`${PREFIX}.events.NODE1.session.stop`, 'event'],
  [`${PREFIX}.rejects.NODE1`, 'reject'],
  [`${PREFIX}.alerts.NODE1.warning.parallel-session-limit`, 'alert'],
];

/** `count` records over the event, reject and alert subjects, each with a 300-byte payload. */
function makeRecords(count: number, tag = ''): OutboxRecord[] {
  const records: OutboxRecord[] = [];
  for (let i = 0; i < count; i++) {
    const [subject, priority] = SUBJECTS[i % SUBJECTS.length] ?? [
      `${PREFIX}.events.NODE1.session.start`,
      'event',
    ];
    const id = nextId();
    const body = JSON.stringify({ id, n: i, tag, pad: '' });
    const payload = new TextEncoder().encode(
      body.replace('"pad":""', `"pad":"${'x'.repeat(300 - body.length)}"`),
    );
    records.push({ id, subject, payload, priority, appendedAt: Date.now() });
  }
  return records;
}

function statusRecord(type = 'sense.status'): OutboxRecord {
  const id = nextId();
  return {
    id,
    subject: `${PREFIX}.status.NODE1`,
    payload: new TextEncoder().encode(JSON.stringify({ id, type })),
    priority: 'status',
    appendedAt: Date.now(),
  };
}

interface Harness {
  outbox: MemoryOutbox;
  counters: StageCounters;
  publisher: JetStreamPublisher;
  lines: LogLine[];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(jetstreamOn = true): Promise<NatsServer> {
  const server = await NatsServer.start({ jetstream: jetstreamOn });
  cleanups.push(() => server.stop());
  return server;
}

async function client(server: NatsServer): Promise<{ nc: NatsConnection; jsm: JetStreamManager }> {
  const nc = await connect({ servers: server.url, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  cleanups.push(() => nc.close());
  return { nc, jsm: await jetstreamManager(nc) };
}

function publisherFor(
  server: NatsServer,
  overrides: Partial<JetStreamPublisherOptions> = {},
  outbox = new MemoryOutbox(1_000_000),
): Harness {
  const { log, lines } = captureLog();
  const counters = createCounters();
  const publisher = new JetStreamPublisher({
    servers: [server.url],
    name: 'sense-sidecar/test',
    outbox,
    counters,
    log,
    subjectPrefix: PREFIX,
    streams: STREAMS,
    jetstream: true,
    reconnectTimeWaitMs: 100,
    ...overrides,
  });
  cleanups.push(() => publisher.stop(Date.now() + 2_000));
  return { outbox, counters, publisher, lines };
}

function append(outbox: MemoryOutbox, records: readonly OutboxRecord[]): void {
  let dropped = 0;
  for (const record of records) if (outbox.append(record) === 'dropped') dropped++;
  expect(dropped).toBe(0);
}

/** Every message of a stream, in stream order (an ordered consumer). */
async function readStream(
  nc: NatsConnection,
  stream: string,
  count: number,
): Promise<{ subject: string; msgId: string | undefined }[]> {
  const out: { subject: string; msgId: string | undefined }[] = [];
  if (count === 0) return out;
  const consumer = await jetstream(nc).consumers.get(stream);
  const messages = await consumer.consume({ max_messages: 1_000 });
  const timer = setTimeout(() => void messages.close(), 20_000);
  for await (const m of messages) {
    out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') });
    if (out.length >= count) break;
  }
  clearTimeout(timer);
  await messages.close();
  return out;
}

async function streamCount(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

function inStream(stream: 'events' | 'alerts', records: readonly OutboxRecord[]): OutboxRecord[] {
  return records.filter((r) =>
    stream === 'alerts'
      ? r.subject.startsWith(`${PREFIX}.alerts.`)
      : r.subject.startsWith(`${PREFIX}.events.`) || r.subject.startsWith(`${PREFIX}.rejects.`),
  );
}

/** Both streams hold exactly these records, once each, in append order (so in order per subject). */
async function expectStored(nc: NatsConnection, records: readonly OutboxRecord[]): Promise<void> {
  const jsm = await jetstreamManager(nc);
  for (const [kind, name] of [
    ['events', STREAMS.events],
    ['alerts', STREAMS.alerts],
  ] as const) {
    const expected = inStream(kind, records);
    expect(await streamCount(jsm, name)).toBe(expected.length);
    const stored = await readStream(nc, name, expected.length);
    expect(stored.map((m) => m.msgId)).toEqual(expected.map((r) => r.id));
    expect(stored.map((m) => m.subject)).toEqual(expected.map((r) => r.subject));
  }
}

describe('JetStreamPublisher', () => {
  it('creates the streams with the configured names, subjects, replicas, max age and duplicate window', async () => {
    const server = await startServer();
    const { publisher, lines } = publisherFor(server);
    await publisher.start();
    await waitFor(() => publisher.mode === 'jetstream', 'JetStream mode');
    const { jsm } = await client(server);
    const events = await waitFor(
      () => jsm.streams.info(STREAMS.events).catch(() => undefined),
      'the events stream',
    );
    const alerts = await waitFor(
      () => jsm.streams.info(STREAMS.alerts).catch(() => undefined),
      'the alerts stream',
    );
    for (const info of [events, alerts]) {
      expect(info.config).toMatchObject({
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        num_replicas: 1,
        max_age: STREAMS.maxAgeMs * 1_000_000,
        duplicate_window: STREAMS.duplicateWindowMs * 1_000_000,
      });
    }
    expect(events.config.subjects).toEqual(['sense.events.>', 'sense.rejects.>']);
    expect(alerts.config.subjects).toEqual(['sense.alerts.>']);
    expect(lines.filter((l) => l.msg.startsWith('created JetStream stream')).map((l) => l.msg)).toEqual([
      'created JetStream stream T_EVENTS',
      'created JetStream stream T_ALERTS',
    ]);
  });

  it('publishes 20,000 records in order with Nats-Msg-Id, and a re-send after a "crash" is dropped as duplicates', async () => {
    const server = await startServer();
    const { nc, jsm } = await client(server);
    const records = makeRecords(20_000);
    const first = publisherFor(server);
    await first.publisher.start();
    await waitFor(() => first.publisher.mode === 'jetstream', 'JetStream mode');

    // Appending is synchronous: the publisher starts on the records after the loop.
    append(first.outbox, records);
    const started = performance.now();
    await waitFor(() => first.outbox.depth === 0, 'an empty outbox', 60_000, 5);
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round(records.length / seconds);
    process.stdout.write(
      `JetStreamPublisher: ${records.length} records of 300 bytes in ${seconds.toFixed(2)} s = ${rate} records/s\n`,
    );
    expect(first.counters.published).toBe(records.length);
    expect(first.publisher.stats).toMatchObject({ acks: records.length, duplicates: 0, inFlight: 0 });
    expect(first.publisher.stats.lastAckAt).not.toBeNull();
    expect(first.counters.publishErrors).toBe(0);
    await expectStored(nc, records);
    await first.publisher.stop(Date.now() + 2_000);

    // The process "crashed" before the outbox learned of the PubAcks: a new publisher finds
    // the same records again and sends them with the same ids.
    const second = publisherFor(server);
    append(second.outbox, records);
    await second.publisher.start();
    await waitFor(() => second.outbox.depth === 0, 'the re-sent records confirmed', 60_000, 5);
    expect(second.publisher.stats).toMatchObject({ acks: records.length, duplicates: records.length });
    expect(second.counters.published).toBe(records.length);
    expect(await streamCount(jsm, STREAMS.events)).toBe(inStream('events', records).length);
    expect(await streamCount(jsm, STREAMS.alerts)).toBe(inStream('alerts', records).length);
  });

  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'nats-server stopped (%s) during a run and started again: every record arrives exactly once',
    async (signal) => {
      const server = await startServer();
      const { publisher, outbox, counters, lines } = publisherFor(server, {
        ackTimeoutMs: 1_000,
        progressThreshold: 1_000,
        progressIntervalMs: 50,
        maxInFlight: 500,
      });
      await publisher.start();
      await waitFor(() => publisher.mode === 'jetstream', 'JetStream mode');
      const all: OutboxRecord[] = [];
      const add = (records: OutboxRecord[]): void => {
        all.push(...records);
        append(outbox, records);
      };

      add(makeRecords(3_000, 'before'));
      await waitFor(() => counters.published > 500, 'some records published');
      add(makeRecords(3_000, 'in flight'));
      await server.stopProcess(signal);
      await waitFor(() => publisher.state === 'disconnected', 'the publisher to notice');
      add(makeRecords(5_000, 'while down'));
      expect(outbox.depth).toBeGreaterThan(5_000);
      await server.startProcess();
      add(makeRecords(3_000, 'after'));
      await waitFor(() => outbox.depth === 0, 'the backlog drained', 60_000);

      const reconnected = await client(server);
      await expectStored(reconnected.nc, all);
      expect(counters.published).toBe(all.length);
      expect(publisher.stats.retries).toBeGreaterThanOrEqual(1);
      expect(counters.publishErrors).toBeGreaterThanOrEqual(1);
      const messages = lines.map((l) => l.msg);
      expect(messages).toContain('NATS connection lost; records wait in the outbox, reconnecting');
      expect(messages).toContain('NATS connection back; publishing the backlog');
      expect(messages.some((m) => /^draining backlog: \d+ left/.test(m))).toBe(true);
      expect(messages.some((m) => /^backlog drained: \d+ records in/.test(m))).toBe(true);
    },
  );

  it('a server without JetStream: core NATS with a flush round trip, said once at start', async () => {
    const server = await startServer(false);
    const nc = await connect({ servers: server.url });
    cleanups.push(() => nc.close());
    const received: string[] = [];
    nc.subscribe(`${PREFIX}.>`, {
      callback: (_e, m) => {
        received.push(m.headers?.get('Nats-Msg-Id') ?? '');
      },
    });
    await nc.flush();
    const { publisher, outbox, counters, lines } = publisherFor(server);
    const records = makeRecords(2_000);
    append(outbox, records);
    await publisher.start();
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    expect(publisher.mode).toBe('core');
    expect(counters.published).toBe(records.length);
    await waitFor(() => received.length === records.length, 'every record on the subscriber');
    expect(received).toEqual(records.map((r) => r.id));
    const notice = `JetStream not available on 127.0.0.1:${server.port}: publishing with core NATS (at least once, no server-side dedup)`;
    expect(lines.filter((l) => l.msg === notice)).toHaveLength(1);
    expect(publisher.stats.acks).toBe(0);
  });

  it('detects JetStream again after reconnecting to another server', async () => {
    const withJs = await startServer();
    const withoutJs = await startServer(false);
    const core = await connect({ servers: withoutJs.url });
    cleanups.push(() => core.close());
    const received: string[] = [];
    core.subscribe(`${PREFIX}.>`, {
      callback: (_e, m) => {
        received.push(m.headers?.get('Nats-Msg-Id') ?? '');
      },
    });
    await core.flush();
    const { publisher, outbox, lines } = publisherFor(withJs, {
      servers: [withJs.url, withoutJs.url],
      connection: { options: { noRandomize: true }, describe: 'two servers' },
    });
    await publisher.start();
    await waitFor(() => publisher.mode === 'jetstream', 'JetStream mode on the first server');
    await withJs.stopProcess();
    await waitFor(() => publisher.mode === 'core', 'core mode on the second server');
    const records = makeRecords(100);
    append(outbox, records);
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    await waitFor(() => received.length === records.length, 'the records on the second server');
    expect(received).toEqual(records.map((r) => r.id));
    expect(lines.map((l) => l.msg)).toContain(
      `JetStream not available on 127.0.0.1:${withoutJs.port}: publishing with core NATS (at least once, no server-side dedup)`,
    );
  });

  it('jetstream: false publishes with core NATS without asking the server', async () => {
    const server = await startServer();
    const { jsm } = await client(server);
    const { publisher, outbox, lines } = publisherFor(server, { jetstream: false });
    append(outbox, makeRecords(100));
    await publisher.start();
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    expect(publisher.mode).toBe('core');
    expect(lines.map((l) => l.msg)).toContain(
      'JetStream disabled (jetstream.enabled: false): publishing with core NATS (at least once, no server-side dedup)',
    );
    await expect(jsm.streams.info(STREAMS.events)).rejects.toThrow(/stream not found/);
  });

  it('status messages (and sense.rules.rejected) go out on core NATS, in no stream', async () => {
    const server = await startServer();
    const { nc, jsm } = await client(server);
    const status: string[] = [];
    nc.subscribe(`${PREFIX}.status.>`, {
      callback: (_e, m) => {
        status.push(m.headers?.get('Nats-Msg-Id') ?? '');
      },
    });
    await nc.flush();
    const { publisher, outbox } = publisherFor(server);
    const records = [
      ...makeRecords(10),
      statusRecord(),
      ...makeRecords(10),
      statusRecord('sense.rules.rejected'),
      statusRecord(),
    ];
    append(outbox, records);
    await publisher.start();
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    const statusIds = records.filter((r) => r.priority === 'status').map((r) => r.id);
    await waitFor(() => status.length === statusIds.length, 'the status messages');
    expect(status).toEqual(statusIds);
    await expectStored(
      nc,
      records.filter((r) => r.priority !== 'status'),
    );
    await expect(jsm.streams.find(`${PREFIX}.status.NODE1`)).rejects.toThrow();
    expect(publisher.stats.acks).toBe(20);
  });

  it('an existing stream with other settings is updated; what cannot change is logged, not fatal', async () => {
    const server = await startServer();
    const { jsm } = await client(server);
    await jsm.streams.add({
      name: STREAMS.events,
      subjects: ['sense.events.>'],
      storage: StorageType.Memory,
      max_age: HOUR_MS * 1_000_000,
      duplicate_window: 60_000 * 1_000_000,
    });
    const { publisher, outbox, lines } = publisherFor(server);
    const records = makeRecords(50);
    append(outbox, records);
    await publisher.start();
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    const info = await jsm.streams.info(STREAMS.events);
    expect(info.config.subjects).toEqual(['sense.events.>', 'sense.rejects.>']);
    expect(info.config.max_age).toBe(STREAMS.maxAgeMs * 1_000_000);
    expect(info.config.duplicate_window).toBe(STREAMS.duplicateWindowMs * 1_000_000);
    expect(info.config.storage).toBe(StorageType.Memory);
    const messages = lines.map((l) => l.msg);
    expect(messages).toContain(
      'updated JetStream stream T_EVENTS: subjects sense.events.> lack sense.rejects.>; max_age 1h → 2h; duplicate_window 1m → 10m',
    );
    expect(messages).toContain(
      'JetStream stream T_EVENTS differs from the configuration in what cannot be changed in place: storage memory (configured file); left as is (recreate the stream to apply)',
    );
    expect(await streamCount(jsm, STREAMS.events)).toBe(inStream('events', records).length);
  });

  it('a stream that already takes the subjects under another name: logged, publishing goes on', async () => {
    const server = await startServer();
    const { jsm } = await client(server);
    await jsm.streams.add({ name: 'OBSERVER', subjects: ['sense.>'], duplicate_window: 60_000 * 1_000_000 });
    const { publisher, outbox, lines } = publisherFor(server);
    const records = makeRecords(100);
    append(outbox, records);
    await publisher.start();
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    expect(await streamCount(jsm, 'OBSERVER')).toBe(100);
    expect(
      lines.some((l) => l.level === 40 && l.msg.startsWith('JetStream stream T_EVENTS could not be created')),
    ).toBe(true);
  });

  it('a record no stream takes waits in the outbox, and goes out once a stream takes it', async () => {
    const server = await startServer();
    const { jsm } = await client(server);
    const { publisher, outbox, counters, lines } = publisherFor(server, {
      retryDelayMs: 20,
      maxRetryDelayMs: 100,
    });
    await publisher.start();
    await waitFor(() => publisher.mode === 'jetstream', 'JetStream mode');
    await jsm.streams.delete(STREAMS.alerts);
    // The publisher re-checks its streams after "no responders" and creates the alerts stream again.
    const records = makeRecords(10);
    append(outbox, records);
    await waitFor(() => outbox.depth === 0, 'an empty outbox');
    expect(counters.published).toBe(10);
    expect(await streamCount(jsm, STREAMS.alerts)).toBe(inStream('alerts', records).length);
    expect(lines.some((l) => l.msg.startsWith('JetStream publish failed (no stream takes the subject'))).toBe(
      true,
    );
    expect(lines.map((l) => l.msg)).toContain('JetStream publishing recovered');
  });

  it('stop is idempotent and safe without start', async () => {
    const server = await startServer();
    const { publisher } = publisherFor(server);
    await publisher.stop(Date.now() + 1_000);
    await publisher.stop(Date.now() + 1_000);
    expect(publisher.state).toBe('closed');
    await publisher.start();
    expect(publisher.state).toBe('closed');
  });

  it('stop publishes what is left before closing', async () => {
    const server = await startServer();
    const { nc } = await client(server);
    const { publisher, outbox } = publisherFor(server);
    await publisher.start();
    await waitFor(() => publisher.mode === 'jetstream', 'JetStream mode');
    const records = makeRecords(5_000);
    append(outbox, records);
    outbox.append(statusRecord());
    await publisher.stop(Date.now() + 10_000);
    expect(outbox.depth).toBe(0);
    expect(publisher.state).toBe('closed');
    await expectStored(nc, records);
  });
});

describe('subjectCovers', () => {
  it.each([
    ['sense.>', 'sense.events.>', true],
    ['sense.events.>', 'sense.events.>', true],
    ['sense.*.>', 'sense.rejects.>', true],
    ['sense.events.*', 'sense.events.>', false],
    ['sense.events.NODE1.>', 'sense.events.>', false],
    ['other.>', 'sense.events.>', false],
    ['sense.rejects.*', 'sense.rejects.NODE1', true],
    ['sense.rejects.NODE1', 'sense.rejects.*', false],
    ['>', 'sense.alerts.>', true],
  ])('%s covers %s: %s', (pattern, subject, expected) => {
    expect(subjectCovers(pattern, subject)).toBe(expected);
  });
});
