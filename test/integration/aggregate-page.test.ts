import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import type { EventKind } from '../../src/core/events.js';
import { formatDatagram } from '../../src/simulate/datagram.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The aggregator's live page in a real browser: Debian's Chromium driven by playwright-core,
 * a real nats-server with JetStream, one real sidecar fed real UDP datagrams, and the real
 * aggregator process. Everything the page shows must arrive through its event stream (no
 * reload), and it must talk to nobody but the aggregator.
 */

const CHROMIUM = process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const HOST = 'SENSE-PAGE';
const USER = 'CORP\\alice';
/** A zone with a half-hour offset: the time picker must send the browser's local time with its offset. */
const TIME_ZONE = 'Asia/Kolkata';

describe('the live page in headless Chromium', () => {
  let nats: NatsServer;
  let sidecar: SidecarProcess;
  let sidecarDir: string;
  let udpPort: number;
  let aggregator: AggregatorUnderTest;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  /** What beforeAll started, stopped in reverse order (also when it failed half-way). */
  const cleanups: (() => Promise<unknown>)[] = [];

  async function send(kind: EventKind): Promise<void> {
    await sendDatagrams(udpPort, [formatDatagram({ kind, host: HOST, directory: 'CORP', userId: 'alice' })]);
  }

  const hostSection = () => page.locator(`[data-testid="host"][data-host="${HOST}"]`);

  beforeAll(async () => {
    // CI installs Debian's chromium (.ci/run); a missing browser is a failure, not a skip.
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set PLAYWRIGHT_CHROMIUM`,
      );
    nats = await NatsServer.start({ jetstream: true });
    cleanups.push(() => nats.stop());
    udpPort = await freeUdpPort();
    sidecarDir = mkdtempSync(join(tmpdir(), 'sense-page-sidecar-'));
    cleanups.push(() => Promise.resolve(rmSync(sidecarDir, { recursive: true, force: true })));
    sidecar = await SidecarProcess.start(
      [
        'node: NODE-PAGE',
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        'rules: {paths: []}',
        `dataDir: ${sidecarDir}`,
        'status: {interval: 1s}',
        'http: {port: 0}',
      ].join('\n'),
    );
    cleanups.push(() => sidecar.stop());
    // NODE-GHOST is expected but never reports: silent after 3 s (NODE-PAGE sends a status every second).
    aggregator = await AggregatorUnderTest.create(nats.url, 'page-test', [
      'nodes: {expected: [NODE-GHOST], statusSilentAfter: 3s}',
    ]);
    cleanups.push(() => aggregator.dispose());
    await aggregator.start();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    cleanups.push(() => browser.close());
    const context = await browser.newContext({ timezoneId: TIME_ZONE });
    page = await context.newPage();
    page.on('request', (request) => requests.push(request.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(String(error)));
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  it('serves one self-contained page with a strict policy', async () => {
    const response = await page.goto(`${aggregator.url}/`);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-content-type-options']).toBe('nosniff');
    const csp = headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
    // The API index moved to /api.
    expect((await aggregator.get<string>('/api')).body).toContain('/api/sessions');
  });

  it('flags a node that stopped reporting as silent, with the reason', async () => {
    const ghost = page.locator('[data-testid="node"][data-node="NODE-GHOST"][data-silent="true"]');
    await ghost.waitFor();
    expect(await ghost.textContent()).toContain('silent: no status message for over 3 seconds');
    await page.locator('[data-testid="node"][data-node="NODE-PAGE"][data-silent="false"]').waitFor();
  });

  let start = 0;
  /** A whole second after the start and before the stop. */
  let between = 0;

  it('shows a user under their host as soon as their session starts, without a reload', async () => {
    await send('session.start');
    await hostSection().getByText(USER, { exact: true }).waitFor();
    await expect.poll(() => hostSection().textContent()).toContain('1 session, 1 user');
    const { body } = await aggregator.get<SessionsBody>('/api/sessions');
    start = Date.parse(body.sessions[0]?.start ?? '');
    expect(start).toBeGreaterThan(0);
  });

  it('removes them when the session stops', async () => {
    // The picker has whole seconds: the stop must come after the next whole second past the start.
    between = Math.floor(start / 1000) * 1000 + 1000;
    await waitFor(() => Date.now() > between + 50, 'the clock to pass a whole second after the start', 3_000);
    await send('session.stop');
    await hostSection().waitFor({ state: 'detached' });
    await page.getByTestId('nobody').waitFor();
    // A silent node's hosts are unknown: the page must not claim that nobody is on.
    expect(await page.getByTestId('nobody').textContent()).toBe(
      'No sessions reported; 1 node silent (see Nodes), so this may not be true.',
    );
  });

  it('lists them for a moment between the start and the stop, picked in the local time of the browser', async () => {
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const p = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }, between);
    await page.getByTestId('at-input').fill(local);
    await page.getByTestId('at-submit').click();
    const row = page.getByTestId('at-session');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    const cells = await row.first().locator('td').allTextContents();
    expect(cells.slice(0, 2)).toEqual([HOST, USER]);
    expect(await page.getByTestId('at-count').textContent()).toContain('1 session open at');
    await page.getByTestId('back-to-now').click();
    await page.getByTestId('at-result').waitFor({ state: 'hidden' });
    await page.getByTestId('nobody').waitFor();
  });

  it('charts the log-in and talked to nobody but the aggregator, without console errors', async () => {
    // The chart is refreshed at most every 10 s: the log-in shows within that.
    await page
      .getByTestId('chart-summary')
      .filter({ hasText: '1 log-in in the last' })
      .waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('logins-chart').locator('rect').count()).toBe(1);
    const foreign = requests.filter(
      (url) => !url.startsWith(`${aggregator.url}/`) && !url.startsWith('data:'),
    );
    expect(foreign).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  // Last: the browser logs the refused reconnections as console errors.
  it('says it is reconnecting while the aggregator is away, and is live again once it is back', async () => {
    expect(await aggregator.stop()).toBe(0);
    await page.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor();
    await aggregator.start();
    await page.locator('[data-testid="connection"][data-state="live"]').waitFor();
    await page.getByTestId('nobody').waitFor();
  });
});
