import { readdirSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { ratePacing } from '../../src/simulate/pacer.js';
import { mulberry32 } from '../../src/simulate/random.js';
import { sendDatagrams } from '../../src/simulate/udp-sender.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { durableSidecar } from '../helpers/durable-sidecar.js';
import { streamCount } from '../helpers/jetstream.js';
import { waitFor } from '../helpers/wait.js';

/**
 * Chaos on the aggregator: `kill -9` at five seeded moments of one paced load from a real
 * sidecar, restarted on the same dataDir each time; then its history file truncated, and
 * overwritten with garbage, before a start. Every session is counted by its unique user: the
 * live view, the history's sessions and its log-in counts must each hold every one exactly once.
 */
const TOTAL = 6_000;
// Kills are about 2 s apart: a restart (0.7 to 1.5 s here) is over before the next one is due.
const RATE = 500;
const KILLS = 5;

interface SessionsBody {
  readonly sessions: readonly { readonly user: { readonly id: string } }[];
}

describe('chaos: the aggregator killed, and its history damaged', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  let aggregator: AggregatorUnderTest;
  let natsUrl = '';

  /** The live view and the history, once they hold every session: each user once everywhere. */
  async function expectEverySessionOnce(what: string): Promise<void> {
    const users = await waitFor(
      async () => {
        const { status, body } = await aggregator.get<SessionsBody>('/api/sessions');
        return status === 200 && body.sessions.length >= TOTAL
          ? body.sessions.map((s) => s.user.id)
          : undefined;
      },
      `${TOTAL} live sessions (${what})`,
      60_000,
    );
    expect(users).toHaveLength(TOTAL);
    expect(new Set(users).size).toBe(TOTAL);
    const history = await waitFor(
      () => {
        const counts = historyCounts(join(aggregator.dataDir, 'history.sqlite'));
        return counts.sessions >= TOTAL && counts.logins >= TOTAL ? counts : undefined;
      },
      `${TOTAL} sessions in the history (${what})`,
      30_000,
    );
    expect(history, 'each session once in the history, each log-in counted once').toEqual({
      sessions: TOTAL,
      users: TOTAL,
      logins: TOTAL,
    });
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const logins = await aggregator.get<{ total: number }>(`/api/logins?unit=hour&from=${from}`);
    expect(logins.body.total).toBe(TOTAL);
  }

  it('five kill -9 in one load: every session once in the view and the history', async () => {
    const { nats, udpPort, start } = await durableSidecar(cleanups);
    natsUrl = nats.url;
    const sidecar = await start();
    await sidecar.waitForLog((l) => String(l.msg).includes('JetStream'), 'the streams');
    aggregator = await AggregatorUnderTest.create(nats.url, 'chaos');
    cleanups.push(() => aggregator.dispose());
    await aggregator.start();

    const random = mulberry32(1313);
    const killAt = Array.from({ length: KILLS }, (_, k) =>
      Math.round(((k + 0.2 + 0.6 * random()) * TOTAL) / (KILLS + 1)),
    );
    let restarting: Promise<void> = Promise.resolve();
    let down = false;
    const restarts: number[] = [];
    const sent = await sendDatagrams({
      host: '127.0.0.1',
      port: udpPort,
      total: TOTAL,
      datagram: (i) => `/qseow-proxy-session/;SENSE-NODE1;Start session;CORP;a-${i};AppAccess;/hub/;Start`,
      pacing: ratePacing(RATE, TOTAL),
      onProgress: (p) => {
        if (down || killAt.length === 0 || p.sent < (killAt[0] ?? TOTAL)) return;
        killAt.shift();
        down = true;
        restarting = (async () => {
          await aggregator.stop('SIGKILL');
          const t0 = Date.now();
          await aggregator.start();
          restarts.push(Date.now() - t0);
          down = false;
        })();
      },
    });
    await restarting;
    // A kill that fell due while a slow restart was under way came late; one still due when the
    // load ended happens now, while the aggregator is still catching up on the stream.
    const late = killAt.length;
    for (; killAt.length > 0; killAt.shift()) {
      await aggregator.stop('SIGKILL');
      const t0 = Date.now();
      await aggregator.start();
      restarts.push(Date.now() - t0);
    }
    expect(sent.sent).toBe(TOTAL);
    expect(restarts).toHaveLength(KILLS);
    // The sidecar was never touched: the stream holds every event, so the aggregator must too.
    await waitFor(async () => (await streamCount(nats.url, 'SENSE_EVENTS')) >= TOTAL, 'the stream', 30_000);
    expect(await streamCount(nats.url, 'SENSE_EVENTS')).toBe(TOTAL);
    await expectEverySessionOnce('after five kills');
    console.log(
      `${KILLS} aggregator kills (${late} after the load): restarts took ${restarts.join(', ')} ms; ${TOTAL} sessions once each`,
    );
  }, 120_000);

  for (const damage of ['truncated', 'garbage'] as const) {
    it(`a ${damage} history at start: set aside, named, and rebuilt from the streams`, async () => {
      expect(natsUrl, 'runs after the kills').not.toBe('');
      await aggregator.stop('SIGTERM');
      const path = join(aggregator.dataDir, 'history.sqlite');
      const size = statSync(path).size;
      if (damage === 'truncated') truncateSync(path, Math.floor(size / 2));
      else writeFileSync(path, Buffer.from(Array.from({ length: size }, (_, i) => (i * 7919 + 13) & 0xff)));

      await aggregator.start();
      const warning = await aggregator.waitForLog(
        (l) => String(l.msg).includes('set aside as'),
        'the set-aside warning',
      );
      const setAside = warning['setAside'] as string[];
      expect(setAside[0]).toMatch(/history\.sqlite\.bad-\d+$/);
      expect(readdirSync(aggregator.dataDir)).toContain(setAside[0]?.split('/').at(-1));
      await aggregator.waitForLog(
        (l) => String(l.msg).includes('consuming SENSE_EVENTS again from its first message'),
        'the consumer reset',
      );
      await expectEverySessionOnce(`after a ${damage} history`);
    }, 90_000);
  }
});

/** Sessions, distinct users and log-ins counted in the history file (read-only, beside the writer). */
function historyCounts(path: string): { sessions: number; users: number; logins: number } {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const row = db
      .prepare('SELECT COUNT(*) AS sessions, COUNT(DISTINCT user_key) AS users FROM sessions')
      .get() as {
      sessions: number;
      users: number;
    };
    const logins = db.prepare('SELECT COALESCE(SUM(count), 0) AS logins FROM logins').get() as {
      logins: number;
    };
    return { sessions: row.sessions, users: row.users, logins: logins.logins };
  } finally {
    db.close();
  }
}
