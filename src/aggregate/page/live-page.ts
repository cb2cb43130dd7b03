import { createHash } from 'node:crypto';
import { shippedText } from '../../core/shipped-files.js';
import { HTML_TYPE, type Reply, type Route } from '../http/api-server.js';

/**
 * `GET /`: the live page. One self-contained HTML document: the style and the script (kept as
 * plain files beside this module, copied to dist by the build) are inlined, and the
 * Content-Security-Policy allows exactly those two by their SHA-256 hashes, plus requests to
 * this origin only. Everything on it comes from the JSON API and the `/api/stream` events.
 */

const asset = (name: string): string => shippedText(name, new URL(name, import.meta.url));

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export function livePageHtml(style: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Who is on Qlik Sense — sense-sidecar</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<header>
  <h1>Who is on Qlik Sense</h1>
  <p>Live updates: <strong id="connection" data-testid="connection" role="status" aria-live="polite">loading…</strong>
  · <a href="#alerts-heading">Alerts <span id="alerts-summary" class="firing"></span></a>
  · <a href="#nodes-heading">Nodes <span id="nodes-summary" class="silent"></span></a>
  · <a href="/api">JSON API</a></p>
</header>
<p id="silent-banner" class="banner silent" data-testid="silent-banner" role="alert" hidden></p>
<main>
  <div id="now-view">
    <section aria-labelledby="now-heading">
      <h2 id="now-heading">On now</h2>
      <p id="totals" data-testid="totals" class="muted"></p>
      <div id="hosts" class="chips" data-testid="hosts"></div>
      <div class="toolbar">
        <label for="search">Search</label>
        <input id="search" data-testid="search" type="search" placeholder="user, host, app, browser…" autocomplete="off">
        <span id="online-count" data-testid="online-count" class="muted"></span>
        <span id="online-truncated" class="silent" hidden>(the first 10,000 only)</span>
      </div>
      <div id="online-scroll" class="scroll" data-testid="online-scroll"></div>
    </section>

    <section aria-labelledby="chart-heading">
      <h2 id="chart-heading">Concurrent users</h2>
      <div class="toolbar" role="group" aria-label="Period">
        <button type="button" data-range="6h" data-testid="range-6h" aria-pressed="true">6 hours</button>
        <button type="button" data-range="7d" data-testid="range-7d" aria-pressed="false">7 days</button>
        <button type="button" data-range="90d" data-testid="range-90d" aria-pressed="false">90 days</button>
      </div>
      <p id="chart-summary" data-testid="chart-summary" class="muted"></p>
      <p id="chart-error" class="silent" role="alert"></p>
      <div id="chart"></div>
      <ul id="chart-legend" class="legend" data-testid="chart-legend"></ul>
      <form id="at-form" data-testid="at-form" aria-label="Who was on at a past time">
        <label for="at-input">Who was on at</label>
        <input id="at-input" data-testid="at-input" type="datetime-local" step="1" required>
        <button type="submit" data-testid="at-submit">Show</button>
        <span id="at-error" data-testid="at-error" role="alert"></span>
      </form>
      <div id="at-result" data-testid="at-result" hidden>
        <p><span id="at-count" data-testid="at-count"></span>
        · <button type="button" id="at-close" data-testid="at-close">Close</button></p>
        <div class="scroll short">
          <table>
            <thead><tr><th scope="col">Host</th><th scope="col">User</th><th scope="col">Session start</th><th scope="col">On for</th></tr></thead>
            <tbody id="at-sessions"></tbody>
          </table>
        </div>
      </div>
    </section>
  </div>

  <section id="user-view" data-testid="user-view" aria-labelledby="user-name" hidden>
    <p><button type="button" id="user-back" data-testid="user-back">← Back to who is on</button></p>
    <h2 id="user-name" data-testid="user-name"></h2>
    <div class="toolbar" role="group" aria-label="Period">
      <button type="button" data-user-range="24h" aria-pressed="true">24 hours</button>
      <button type="button" data-user-range="7d" data-testid="user-range-7d" aria-pressed="false">7 days</button>
      <button type="button" data-user-range="30d" aria-pressed="false">30 days</button>
    </div>
    <p id="user-summary" data-testid="user-summary" class="muted"></p>
    <p id="user-error" class="silent" role="alert"></p>
    <div id="user-timeline"></div>
    <div class="scroll short">
      <table>
        <thead><tr><th scope="col">What</th><th scope="col">Host</th><th scope="col">Start</th><th scope="col">End</th><th scope="col">Duration</th><th scope="col">Ended by</th></tr></thead>
        <tbody id="user-intervals"></tbody>
      </table>
    </div>
  </section>

  <section aria-labelledby="alerts-heading">
    <h2 id="alerts-heading">Alerts (firing first, then the last 24 hours)</h2>
    <ul id="alerts" class="plain" data-testid="alerts"></ul>
    <p id="alerts-empty" class="muted">No alerts in the last 24 hours.</p>
  </section>

  <section aria-labelledby="nodes-heading">
    <h2 id="nodes-heading">Nodes</h2>
    <table>
      <thead><tr><th scope="col">Node</th><th scope="col">Hosts</th><th scope="col">Sessions</th><th scope="col">State</th><th scope="col">Last heard</th></tr></thead>
      <tbody id="nodes" data-testid="nodes"></tbody>
    </table>
    <p id="nodes-empty" class="muted">No sidecar has reported yet.</p>
  </section>
</main>
<script>${script}</script>
</body>
</html>
`;
}

export function livePageHeaders(style: string, script: string): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'none'",
      `script-src ${hash(script)}`,
      `style-src ${hash(style)}`,
      "connect-src 'self'",
      'img-src data:',
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
  };
}

/**
 * The page's scripts, in the order they run: each registers on one namespace object, and the
 * last one starts the page. They are inlined as one script, so one hash allows them.
 */
export const PAGE_SCRIPTS = [
  'page-format.js',
  'page-table.js',
  'page-charts.js',
  'live-page-client.js',
] as const;

/** The page route; the document and its headers are built once. */
export function livePageRoute(): Route {
  const style = asset('live-page.css');
  const script = PAGE_SCRIPTS.map(asset).join('\n');
  const reply: Reply = {
    status: 200,
    contentType: HTML_TYPE,
    body: livePageHtml(style, script),
    headers: livePageHeaders(style, script),
  };
  return { path: '/', handle: () => reply };
}
