// The live page's script, run in the browser as one inline script (the page's CSP allows it by
// its hash). It builds every element with createElement/textContent: data from the API is never
// parsed as HTML. Nothing is fetched from anywhere but the aggregator itself.
(() => {
  'use strict';

  /** Users listed per host before "and N more": the page stays small with thousands on. */
  const USERS_PER_HOST = 40;
  const CHART_HOURS = 3;
  /** The chart is redrawn on updates at most this often (and once a minute without any). */
  const CHART_MIN_INTERVAL_MS = 10_000;

  const byId = (id) => document.getElementById(id);

  /** An element with text and children; strings become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props ?? {})) {
      if (name === 'className') node.className = value;
      else node.setAttribute(name, value);
    }
    for (const child of children)
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    return node;
  }

  const userName = (u) => `${u.directory}\\${u.id}`;
  const localTime = (iso) => (iso ? new Date(iso).toLocaleString() : '—');
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  // ---- connection state ----------------------------------------------------------------------

  function showState(state, text) {
    const node = byId('connection');
    node.className = `state-${state}`;
    node.dataset.state = state;
    node.textContent = text;
  }

  // ---- who is on now -------------------------------------------------------------------------

  function renderHosts(now, nodes) {
    const silentNodes = new Map(nodes.filter((n) => n.silent).map((n) => [n.node, n]));
    const container = byId('hosts');
    const sections = now.hosts.map((host) => {
      const users = now.users.filter((u) => u.hosts.includes(host.host)).map((u) => userName(u.user));
      const list = el(
        'ul',
        { 'data-testid': 'host-users' },
        ...users.slice(0, USERS_PER_HOST).map((n) => el('li', {}, n)),
      );
      // Users on now are cut at the API's limit: the host's own count says how many there are.
      const more = Math.max(host.users - Math.min(users.length, USERS_PER_HOST), 0);
      if (more > 0) list.append(el('li', { className: 'muted' }, `and ${more} more`));
      const silent = silentNodes.get(host.node);
      return el(
        'section',
        { 'data-testid': 'host', 'data-host': host.host, 'aria-label': host.host },
        el('h3', {}, host.host),
        el(
          'p',
          { className: 'muted' },
          `${plural(host.sessions, 'session')}, ${plural(host.users, 'user')} · node ${host.node}`,
        ),
        ...(silent
          ? [el('p', { className: 'silent' }, `Node silent (last known): ${silent.reason ?? ''}`)]
          : []),
        list,
      );
    });
    if (sections.length === 0) {
      const text =
        silentNodes.size > 0
          ? `No sessions reported; ${plural(silentNodes.size, 'node')} silent (see Nodes), so this may not be true.`
          : 'Nobody is on now.';
      sections.push(
        el('p', { 'data-testid': 'nobody', className: silentNodes.size > 0 ? 'silent' : 'muted' }, text),
      );
    }
    container.replaceChildren(...sections);
    const t = now.totals;
    byId('totals').textContent =
      `${plural(t.users, 'user')} in ${plural(t.sessions, 'session')} on ${plural(t.hosts, 'host')}, ` +
      `${plural(t.connections, 'app connection')} to ${plural(t.apps, 'app')} · as of ${localTime(now.at)}`;
  }

  function renderNodes(nodes) {
    const rows = nodes.map((n) =>
      el(
        'tr',
        { 'data-testid': 'node', 'data-node': n.node, 'data-silent': String(n.silent) },
        el('td', {}, n.node),
        el('td', {}, n.hosts.join(', ') || '—'),
        el('td', {}, String(n.sessions)),
        el(
          'td',
          { className: n.silent ? 'silent' : '' },
          n.silent ? `silent: ${n.reason ?? n.silentReasons.join(', ')}` : 'ok',
        ),
        el('td', {}, `${Math.round(n.lastSeenAgeSeconds)} s ago`),
      ),
    );
    byId('nodes').replaceChildren(...rows);
    byId('nodes-empty').hidden = rows.length > 0;
    const silent = nodes.filter((n) => n.silent).length;
    byId('nodes-summary').textContent = silent > 0 ? `${plural(silent, 'node')} silent` : '';
  }

  function alertItem(a, firing) {
    return el(
      'li',
      { 'data-testid': firing ? 'alert-firing' : 'alert', className: firing ? 'firing' : '' },
      `${localTime(a.time)} · ${a.status} · ${a.severity} · ${a.rule}: ${a.message}`,
      el('span', { className: 'muted' }, ` (${a.host}, node ${a.node})`),
    );
  }

  function renderAlerts(alerts) {
    const firingIds = new Set(alerts.firing.map((a) => a.id));
    const items = [
      ...alerts.firing.map((a) => alertItem(a, true)),
      ...alerts.alerts.filter((a) => !firingIds.has(a.id)).map((a) => alertItem(a, false)),
    ];
    byId('alerts').replaceChildren(...items);
    byId('alerts-empty').hidden = items.length > 0;
  }

  // ---- log-ins per minute --------------------------------------------------------------------

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function drawChart(body) {
    const width = 720;
    const height = 140;
    const top = 14;
    const buckets = body.buckets;
    const max = Math.max(1, ...buckets.map((b) => b.logins));
    const step = width / Math.max(buckets.length, 1);
    const chart = svg('svg', {
      viewBox: `0 0 ${width} ${height + 16}`,
      role: 'img',
      'data-testid': 'logins-chart',
    });
    chart.append(svg('title', {}, `Log-ins per minute, last ${CHART_HOURS} hours`));
    buckets.forEach((b, i) => {
      if (b.logins === 0) return;
      const h = (b.logins / max) * (height - top);
      const bar = svg('rect', { x: i * step, y: height - h, width: Math.max(step - 0.5, 0.5), height: h });
      bar.append(svg('title', {}, `${new Date(b.start).toLocaleTimeString()}: ${b.logins}`));
      chart.append(bar);
    });
    chart.append(
      svg('text', { x: 0, y: 10 }, `max ${max}/min`),
      svg('text', { x: 0, y: height + 14 }, localTime(body.from)),
      svg('text', { x: width, y: height + 14, 'text-anchor': 'end' }, localTime(body.to)),
    );
    byId('chart').replaceChildren(chart);
    const peak = buckets.reduce((best, b) => (b.logins > (best?.logins ?? 0) ? b : best), null);
    byId('chart-summary').textContent =
      `${plural(body.total, 'log-in')} in the last ${CHART_HOURS} hours` +
      (peak ? `; busiest minute ${new Date(peak.start).toLocaleTimeString()} with ${peak.logins}` : '');
  }

  let chartInFlight = false;
  let chartAt = 0;
  let chartTimer = null;

  async function refreshChart() {
    if (chartInFlight) return;
    chartInFlight = true;
    chartAt = Date.now();
    try {
      const from = new Date(Date.now() - CHART_HOURS * 3_600_000).toISOString();
      const response = await fetch(`/api/logins?unit=minute&from=${encodeURIComponent(from)}`);
      if (response.ok) drawChart(await response.json());
    } catch {
      // The stream's state already says when the aggregator is unreachable; the next update retries.
    } finally {
      chartInFlight = false;
    }
  }

  /** Redraws at most every CHART_MIN_INTERVAL_MS, and always once after the last update. */
  function scheduleChart() {
    if (chartTimer !== null) return;
    const wait = Math.max(0, chartAt + CHART_MIN_INTERVAL_MS - Date.now());
    chartTimer = setTimeout(() => {
      chartTimer = null;
      void refreshChart();
    }, wait);
  }

  // ---- who was on at … -----------------------------------------------------------------------

  const pad = (n, width = 2) => String(n).padStart(width, '0');

  /** `2026-11-30T09:00:00+01:00`: the browser's local time with its offset, as the API wants. */
  function isoWithOffset(date) {
    const offset = -date.getTimezoneOffset();
    const sign = offset >= 0 ? '+' : '-';
    const abs = Math.abs(offset);
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }

  function localInputValue(date) {
    return isoWithOffset(date).slice(0, 19);
  }

  async function showAt(event) {
    event.preventDefault();
    const input = byId('at-input');
    const error = byId('at-error');
    error.textContent = '';
    // datetime-local has no zone: the value is the browser's local time.
    const date = new Date(input.value);
    if (Number.isNaN(date.getTime())) {
      error.textContent = 'Pick a date and time first.';
      return;
    }
    const at = isoWithOffset(date);
    try {
      const response = await fetch(`/api/sessions?at=${encodeURIComponent(at)}`);
      const body = await response.json();
      if (!response.ok) {
        error.textContent = body.error ?? `The aggregator answered ${response.status}.`;
        return;
      }
      const rows = body.sessions.map((s) =>
        el(
          'tr',
          { 'data-testid': 'at-session' },
          el('td', {}, s.host),
          el('td', {}, userName(s.user)),
          el('td', {}, localTime(s.start)),
        ),
      );
      byId('at-sessions').replaceChildren(...rows);
      byId('at-count').textContent = `${plural(rows.length, 'session')} open at ${localTime(body.at)}`;
      byId('at-result').hidden = false;
      byId('now-view').hidden = true;
    } catch {
      error.textContent = 'Cannot reach the aggregator.';
    }
  }

  function backToNow() {
    byId('at-result').hidden = true;
    byId('now-view').hidden = false;
  }

  // ---- live stream ---------------------------------------------------------------------------

  function onUpdate(message) {
    const snapshot = JSON.parse(message.data);
    renderHosts(snapshot.now, snapshot.nodes);
    renderNodes(snapshot.nodes);
    renderAlerts(snapshot.alerts);
    scheduleChart();
  }

  function connect() {
    showState('connecting', 'connecting…');
    const source = new EventSource('/api/stream');
    source.addEventListener('update', onUpdate);
    source.addEventListener('open', () => showState('live', 'live'));
    source.addEventListener('error', () => {
      if (source.readyState === EventSource.CONNECTING) {
        showState('reconnecting', 'reconnecting…');
        return;
      }
      // Closed for good (e.g. 503: too many clients): the browser will not retry by itself.
      showState('closed', 'disconnected; retrying in 10 s');
      source.close();
      setTimeout(connect, 10_000);
    });
  }

  byId('at-input').value = localInputValue(new Date());
  byId('at-form').addEventListener('submit', (event) => void showAt(event));
  byId('back-to-now').addEventListener('click', backToNow);
  connect();
  void refreshChart();
  // Minutes pass without updates too: the chart's window moves on.
  setInterval(scheduleChart, 60_000);
})();
