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
<title>Who is on Qlik Sense — sense-sidecar</title>
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body>
<header>
  <h1>Who is on Qlik Sense</h1>
  <p>Live updates: <strong id="connection" data-testid="connection" role="status" aria-live="polite">loading…</strong>
  · <a href="/api">JSON API</a></p>
</header>
<main>
  <form id="at-form" data-testid="at-form" aria-label="Who was on at a past time">
    <label for="at-input">Who was on at</label>
    <input id="at-input" data-testid="at-input" type="datetime-local" step="1" required>
    <button type="submit" data-testid="at-submit">Who was on at…</button>
    <span id="at-error" data-testid="at-error" role="alert"></span>
  </form>

  <section id="at-result" data-testid="at-result" aria-labelledby="at-heading" hidden>
    <h2 id="at-heading">Sessions at a past time</h2>
    <p><span id="at-count" data-testid="at-count"></span>
    · <button type="button" id="back-to-now" data-testid="back-to-now">Back to now</button></p>
    <table>
      <thead><tr><th scope="col">Host</th><th scope="col">User</th><th scope="col">Session start</th></tr></thead>
      <tbody id="at-sessions"></tbody>
    </table>
  </section>

  <div id="now-view">
    <section aria-labelledby="now-heading">
      <h2 id="now-heading">On now, by host</h2>
      <p id="totals" data-testid="totals" class="muted"></p>
      <div id="hosts" class="hosts" data-testid="hosts"></div>
    </section>

    <section aria-labelledby="chart-heading">
      <h2 id="chart-heading">Log-ins per minute</h2>
      <p id="chart-summary" data-testid="chart-summary" class="muted"></p>
      <div id="chart"></div>
    </section>

    <section aria-labelledby="alerts-heading">
      <h2 id="alerts-heading">Alerts (firing first, then the last 24 hours)</h2>
      <ul id="alerts" class="plain" data-testid="alerts"></ul>
      <p id="alerts-empty" class="muted">No alerts in the last 24 hours.</p>
    </section>

    <section aria-labelledby="nodes-heading">
      <h2 id="nodes-heading">Nodes <span id="nodes-summary" class="silent"></span></h2>
      <table>
        <thead><tr><th scope="col">Node</th><th scope="col">Hosts</th><th scope="col">Sessions</th><th scope="col">State</th><th scope="col">Last heard</th></tr></thead>
        <tbody id="nodes" data-testid="nodes"></tbody>
      </table>
      <p id="nodes-empty" class="muted">No sidecar has reported yet.</p>
    </section>
  </div>
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

/** The page route; the document and its headers are built once. */
export function livePageRoute(): Route {
  const style = asset('live-page.css');
  const script = asset('live-page-client.js');
  const reply: Reply = {
    status: 200,
    contentType: HTML_TYPE,
    body: livePageHtml(style, script),
    headers: livePageHeaders(style, script),
  };
  return { path: '/', handle: () => reply };
}
