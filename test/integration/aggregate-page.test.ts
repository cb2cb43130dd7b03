import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionsBody } from '../../src/aggregate/sessions-query.js';
import { type DatagramSpec, formatDatagram } from '../../src/simulate/datagram.js';
import { AggregatorUnderTest } from '../helpers/aggregator.js';
import { NatsServer } from '../helpers/nats-server.js';
import { freeUdpPort } from '../helpers/ports.js';
import { SidecarProcess } from '../helpers/sidecar-process.js';
import { sendDatagrams } from '../helpers/udp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The aggregator's live page in a real browser: Debian's Chromium driven by playwright-core,
 * a real nats-server with JetStream, one real sidecar (with the shipped session rules) fed real
 * UDP datagrams, and the real aggregator process. Everything the page shows must arrive through
 * its event stream and the JSON API (no reload), and it must talk to nobody but the aggregator.
 *
 * Screenshots are taken on the way; with UPDATE_SCREENSHOTS=1 they replace the README's, in
 * docs/screenshots/, otherwise they go to a scratch directory and are only checked for size.
 */

const CHROMIUM = process.env.PLAYWRIGHT_CHROMIUM ?? '/usr/bin/chromium';
const HOST = 'SENSE-PAGE';
const USER = 'CORP\\alice';
const APP = 'e7af59a0-c243-480d-9571-08727551a66f';
const CHROME_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
/** A zone with a half-hour offset: the page must use the browser's local time with its offset. */
const TIME_ZONE = 'Asia/Kolkata';
const BULK = 3_000;
const RULES = fileURLToPath(new URL('../../rules/suspicious-sessions.yaml', import.meta.url));
const SHOTS = process.env.UPDATE_SCREENSHOTS
  ? fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))
  : mkdtempSync(join(tmpdir(), 'sense-page-shots-'));

describe('the live page in headless Chromium', () => {
  let nats: NatsServer;
  let sidecar: SidecarProcess;
  let udpPort: number;
  let aggregator: AggregatorUnderTest;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  /** What beforeAll started, stopped in reverse order (also when it failed half-way). */
  const cleanups: (() => Promise<unknown>)[] = [];

  const datagram = (spec: Partial<DatagramSpec> & Pick<DatagramSpec, 'kind'>): string =>
    formatDatagram({ host: HOST, directory: 'CORP', userId: 'alice', ...spec });
  const send = (...specs: (Partial<DatagramSpec> & Pick<DatagramSpec, 'kind'>)[]) =>
    sendDatagrams(udpPort, specs.map(datagram));

  const row = (user: string) =>
    page.locator(`[data-testid="online-row"][data-user="${user.replace(/\\/g, '\\\\')}"]`);

  async function screenshot(name: string): Promise<void> {
    mkdirSync(SHOTS, { recursive: true });
    const path = join(SHOTS, name);
    await page.screenshot({ path, fullPage: true });
    expect(statSync(path).size).toBeGreaterThan(10_000);
  }

  beforeAll(async () => {
    // CI installs Debian's chromium (.ci/run); a missing browser is a failure, not a skip.
    if (!existsSync(CHROMIUM))
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or set PLAYWRIGHT_CHROMIUM`,
      );
    nats = await NatsServer.start({ jetstream: true });
    cleanups.push(() => nats.stop());
    udpPort = await freeUdpPort();
    const sidecarDir = mkdtempSync(join(tmpdir(), 'sense-page-sidecar-'));
    cleanups.push(() => Promise.resolve(rmSync(sidecarDir, { recursive: true, force: true })));
    sidecar = await SidecarProcess.start(
      [
        'node: NODE-PAGE',
        `udp: {port: ${udpPort}}`,
        `nats: {servers: [${nats.url}]}`,
        `rules: {paths: ['${RULES}']}`,
        `dataDir: ${sidecarDir}`,
        'status: {interval: 1s}',
        'http: {port: 0}',
        'intake: {batchWait: 0ms}',
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
    const context = await browser.newContext({
      timezoneId: TIME_ZONE,
      viewport: { width: 1280, height: 900 },
      colorScheme: 'light',
    });
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
    expect((await aggregator.get<string>('/api')).body).toContain('/api/online');
  });

  it('flags a node that stopped reporting as silent, with the reason, above everything', async () => {
    const ghost = page.locator('[data-testid="node"][data-node="NODE-GHOST"][data-silent="true"]');
    await ghost.waitFor();
    expect(await ghost.textContent()).toContain('silent: no status message for over 3 seconds');
    await page.locator('[data-testid="node"][data-node="NODE-PAGE"][data-silent="false"]').waitFor();
    await expect.poll(() => page.getByTestId('silent-banner').textContent()).toContain('NODE-GHOST');
  });

  it('lists a user as soon as their session starts, with app, browser and OS, without a reload', async () => {
    await send({ kind: 'session.start' });
    await row(USER).waitFor();
    await send({ kind: 'connection.open', appId: APP, userAgent: CHROME_ON_WINDOWS });
    await expect
      .poll(() => row(USER).locator('td').allTextContents())
      .toEqual([
        USER,
        HOST,
        expect.stringMatching(/\d/) as unknown as string,
        expect.stringMatching(/^\d+ s$/) as unknown as string,
        APP.slice(0, 8),
        'Chrome 120.0.0.0',
        'Windows NT 10.0',
        'NODE-PAGE',
      ]);
    await expect.poll(() => page.getByTestId('host').textContent()).toBe(`${HOST}: 1 user`);
    // "Since" is the session's start in the browser's zone: the page and the API agree.
    const { body } = await aggregator.get<SessionsBody>('/api/sessions');
    const start = Date.parse(body.sessions[0]?.start ?? '');
    const local = await page.evaluate(
      (ms) => new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' }).format(ms),
      start,
    );
    expect(await row(USER).locator('td').nth(2).textContent()).toBe(local);
  });

  it('answers "who was on at T" for a moment clicked on the concurrency chart', async () => {
    // A fresh drawing (the range buttons redraw at once) that already counts alice.
    await page.getByTestId('range-7d').click();
    await page.getByTestId('range-6h').click();
    await page
      .getByTestId('chart-summary')
      .filter({ hasText: /Peak 1 user at .* \(last 6 hours\)/ })
      .waitFor();
    const chart = page.getByTestId('concurrency-chart');
    const box = await chart.boundingBox();
    if (box === null) throw new Error('the chart has no box');
    // The middle of the total line's last step (in the viewBox, 900 wide): the bucket where
    // alice's session began; its peak is her start.
    const d = (await chart.locator('path[data-series="all hosts"]').getAttribute('d')) ?? '';
    const last = /[ML]([\d.]+),[\d.]+H([\d.]+)$/.exec(d);
    if (last === null) throw new Error(`no step in the total line: ${d}`);
    const middle = (Number(last[1]) + Number(last[2])) / 2;
    await chart.click({ position: { x: (box.width * middle) / 900, y: box.height / 2 } });
    await page.getByTestId('at-count').filter({ hasText: '1 session open at' }).waitFor();
    expect(await page.getByTestId('at-session').first().locator('td').allTextContents()).toEqual([
      HOST,
      USER,
      expect.stringMatching(/\d/) as unknown as string,
      expect.stringMatching(/^\d+ s$/) as unknown as string,
    ]);
    // Half-way along the last six hours nobody was on.
    await chart.click({ position: { x: box.width / 2, y: box.height / 2 } });
    await page.getByTestId('at-count').filter({ hasText: '0 sessions open at' }).waitFor();
    expect(await page.getByTestId('x-tick').count()).toBeGreaterThanOrEqual(4);
    await page.getByTestId('at-close').click();
  });

  it("opens a user's timeline of sessions and connections from the history", async () => {
    await row(USER).getByTestId('online-user').click();
    await page.getByTestId('user-view').waitFor();
    expect(await page.getByTestId('user-name').textContent()).toBe(USER);
    await page.getByTestId('user-summary').filter({ hasText: '1 session and 1 app connection' }).waitFor();
    expect(await page.getByTestId('timeline-bar').count()).toBe(2);
    expect(await page.getByTestId('user-interval').count()).toBe(2);
    await page.getByTestId('user-range-7d').click();
    await page.getByTestId('user-summary').filter({ hasText: '1 session and 1 app connection' }).waitFor();
    await screenshot('user-timeline.png');
    await page.getByTestId('user-back').click();
    await page.getByTestId('online-table').waitFor();
  });

  it('shows a firing alert first, with the facts and thresholds that made it fire', async () => {
    // Five parallel sessions: the shipped parallel-session-limit rule fires.
    await send(...Array.from({ length: 5 }, () => ({ kind: 'session.start' as const, userId: 'mallory' })));
    const firing = page.getByTestId('alert-firing').first();
    await firing.waitFor();
    expect(await firing.textContent()).toContain('warning · parallel-session-limit');
    expect(await firing.textContent()).toContain('A user holds 5 or more parallel sessions');
    expect(await firing.getByTestId('alert-conditions').locator('tbody td').allTextContents()).toEqual([
      'activeSessions',
      '5',
      'greaterThanInclusive',
      '5',
      'met',
    ]);
  });

  it('removes the users when their sessions stop', async () => {
    await send(
      { kind: 'connection.close', appId: APP, userAgent: CHROME_ON_WINDOWS },
      { kind: 'session.stop' },
      ...Array.from({ length: 5 }, () => ({ kind: 'session.stop' as const, userId: 'mallory' })),
    );
    await page.getByTestId('online-empty').waitFor();
    await page.getByTestId('nobody').waitFor();
    // A silent node's hosts are unknown: the page must not claim that nobody is on.
    expect(await page.getByTestId('nobody').textContent()).toBe(
      'No sessions reported; 1 node silent (see Nodes), so this may not be true.',
    );
    await page.locator('[data-testid="alert"]', { hasText: 'resolved' }).first().waitFor();
  });

  it('lists the sessions at a time picked in the local time of the browser', async () => {
    const { body } = await aggregator.get<{ sessions: { start: string; end: string | null }[] }>(
      `/api/users/${encodeURIComponent(USER)}/history`,
    );
    const session = body.sessions[0];
    if (session?.end == null) throw new Error('alice has no closed session in the history');
    const start = Date.parse(session.start);
    const end = Date.parse(session.end);
    // The picker has whole seconds: a whole second inside the session, if it lasted one.
    const between = Math.ceil(start / 1000) * 1000;
    expect(between).toBeLessThan(end);
    const local = await page.evaluate((ms) => {
      const d = new Date(ms);
      const p = (n: number): string => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
    }, between);
    await page.getByTestId('at-input').fill(local);
    await page.getByTestId('at-submit').click();
    await page.getByTestId('at-count').filter({ hasText: '1 session open at' }).waitFor();
    const cells = await page.getByTestId('at-session').first().locator('td').allTextContents();
    expect(cells.slice(0, 2)).toEqual([HOST, USER]);
    await page.getByTestId('at-close').click();
  });

  it('keeps thousands of rows responsive: drawn as a window, searched and sorted at once', async () => {
    const hosts = ['SENSE-NODE1', 'SENSE-NODE2', 'SENSE-NODE3'];
    await sendDatagrams(
      udpPort,
      Array.from({ length: BULK }, (_, i) =>
        formatDatagram({
          kind: 'session.start',
          host: hosts[i % hosts.length] ?? HOST,
          directory: 'CORP',
          userId: `user${String(i).padStart(4, '0')}`,
        }),
      ),
    );
    await page
      .getByTestId('online-count')
      .filter({ hasText: `${BULK.toLocaleString('en')} rows` })
      .waitFor({
        timeout: 20_000,
      });
    // Only the rows in view (and a margin) are in the document.
    const drawn = await page.getByTestId('online-row').count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(80);
    await screenshot('who-is-on.png');

    const started = Date.now();
    await page.getByTestId('search').fill('user2999');
    await page
      .getByTestId('online-count')
      .filter({ hasText: `1 of ${BULK.toLocaleString('en')} rows` })
      .waitFor();
    const searchMs = Date.now() - started;
    expect(await page.getByTestId('online-row').count()).toBe(1);
    await page.getByTestId('search').fill('sense-node2');
    await page
      .getByTestId('online-count')
      .filter({ hasText: `1,000 of ${BULK.toLocaleString('en')} rows` })
      .waitFor();

    await page.getByTestId('search').fill('');
    await page.locator('th[data-column="user"] button').click();
    await expect.poll(() => page.getByTestId('online-user').first().textContent()).toBe('CORP\\user0000');
    await page.locator('th[data-column="user"] button').click();
    await expect.poll(() => page.getByTestId('online-user').first().textContent()).toBe('CORP\\user2999');
    expect(await page.locator('th[data-column="user"]').getAttribute('aria-sort')).toBe('descending');

    // Scrolled to the bottom, the last rows are drawn.
    await page.getByTestId('online-scroll').evaluate((el: { scrollTop: number; scrollHeight: number }) => {
      el.scrollTop = el.scrollHeight;
    });
    await expect.poll(() => page.getByTestId('online-user').last().textContent()).toBe('CORP\\user0000');
    console.log(`search among ${BULK} rows shown in ${searchMs} ms (playwright round trips included)`);
  });

  it('follows the system preference for light or dark', async () => {
    // A string: the test's own types have no DOM.
    const background = () => page.evaluate<string>('getComputedStyle(document.body).backgroundColor');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(17, 24, 39)');
    await page.getByTestId('range-6h').click();
    await page
      .getByTestId('chart-summary')
      .filter({ hasText: `Peak ${BULK.toLocaleString('en')} users` })
      .waitFor();
    await screenshot('concurrency-dark.png');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('talked to nobody but the aggregator, without console errors', () => {
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
    await waitFor(
      async () => (await page.getByTestId('online-count').textContent())?.includes('3,000 rows') ?? false,
      'the table to be filled again after the restart',
      20_000,
    );
  });
});
