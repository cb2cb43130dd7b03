// The live page's main script: the live stream, the views (who is on, concurrency, a user's
// timeline, who was on at T) and the alerts and nodes. Every element is built with
// createElement/textContent (page-format.js): data from the API is never parsed as HTML, and
// nothing is fetched from anywhere but the aggregator itself.
((page) => {
  'use strict';

  const { el, byId, userName, plural, localTime, isoMs, duration, getJson, HOUR, DAY, MINUTE } = page;

  /** /api/online is asked again at most this often while updates stream in. */
  const ONLINE_MIN_INTERVAL_MS = 1_000;
  /** The chart is redrawn on updates at most this often, and once a minute without any. */
  const CHART_MIN_INTERVAL_MS = 10_000;
  /** Hosts drawn as their own line; the cluster's total counts every host. */
  const CHART_MAX_HOSTS = 8;
  const RANGES = {
    '6h': { span: 6 * HOUR, unit: 'minute', bucket: MINUTE, label: 'last 6 hours' },
    '7d': { span: 7 * DAY, unit: 'hour', bucket: HOUR, label: 'last 7 days' },
    '90d': { span: 90 * DAY, unit: 'day', bucket: DAY, label: 'last 90 days' },
  };
  const USER_RANGES = { '24h': DAY, '7d': 7 * DAY, '30d': 30 * DAY };

  let latest = null;
  let chartRange = '6h';
  let userRange = '24h';

  // ---- connection state ------------------------------------------------------------------------

  function showState(state, text) {
    const node = byId('connection');
    node.className = `state-${state}`;
    node.dataset.state = state;
    node.textContent = text;
  }

  // ---- summary and hosts ------------------------------------------------------------------------

  function renderSummary(now, nodes) {
    const silent = nodes.filter((n) => n.silent);
    const t = now.totals;
    byId('totals').textContent =
      `${plural(t.users, 'user')} in ${plural(t.sessions, 'session')} on ${plural(t.hosts, 'host')}, ` +
      `${plural(t.connections, 'app connection')} to ${plural(t.apps, 'app')} · as of ${localTime(isoMs(now.at))}`;
    const chips = now.hosts.map((h) => {
      const chip = el(
        'button',
        { type: 'button', className: 'chip', 'data-testid': 'host', 'data-host': h.host },
        `${h.host}: ${plural(h.users, 'user')}`,
      );
      chip.addEventListener('click', () => {
        byId('search').value = h.host;
        table.search(h.host);
      });
      return chip;
    });
    if (chips.length === 0) {
      const text =
        silent.length > 0
          ? `No sessions reported; ${plural(silent.length, 'node')} silent (see Nodes), so this may not be true.`
          : 'Nobody is on now.';
      chips.push(
        el('p', { 'data-testid': 'nobody', className: silent.length > 0 ? 'silent' : 'muted' }, text),
      );
    }
    byId('hosts').replaceChildren(...chips);
    const banner = byId('silent-banner');
    banner.hidden = silent.length === 0;
    banner.textContent =
      silent.length === 0
        ? ''
        : `${plural(silent.length, 'node')} silent: ${silent.map((n) => `${n.node} (${n.reason ?? n.silentReasons.join(', ')})`).join('; ')}. Their users may be missing here.`;
  }

  // ---- who is on (table) -------------------------------------------------------------------------

  const table = page.createOnlineTable({
    container: byId('online-scroll'),
    onUser: (user) => {
      location.hash = `user=${encodeURIComponent(user)}`;
    },
    onCount: (shown, total) => {
      byId('online-count').textContent =
        shown === total ? plural(total, 'row') : `${shown.toLocaleString()} of ${plural(total, 'row')}`;
    },
  });

  const online = page.throttled(async () => {
    try {
      const body = await getJson('/api/online');
      table.update(body, isoMs(body.at));
      byId('online-truncated').hidden = !body.truncated;
    } catch {
      // The connection state says when the aggregator is unreachable; the next update retries.
    }
  }, ONLINE_MIN_INTERVAL_MS);

  // ---- concurrency chart ---------------------------------------------------------------------------

  function chartHosts() {
    const hosts = new Set();
    for (const n of latest?.nodes ?? []) for (const h of n.hosts) hosts.add(h);
    for (const h of latest?.now.hosts ?? []) hosts.add(h.host);
    return [...hosts].sort().slice(0, CHART_MAX_HOSTS);
  }

  const chart = page.throttled(async () => {
    const range = RANGES[chartRange];
    const to = Date.now();
    const from = to - range.span;
    const query = (host) =>
      `/api/peaks?unit=${range.unit}&from=${encodeURIComponent(new Date(from).toISOString())}` +
      `&to=${encodeURIComponent(new Date(to).toISOString())}&tz=${encodeURIComponent(page.browserZone())}` +
      (host ? `&host=${encodeURIComponent(host)}` : '');
    try {
      const hosts = chartHosts();
      const bodies = await Promise.all([query(null), ...hosts.map(query)].map(getJson));
      const series = bodies.map((body, i) => ({
        name: i === 0 ? 'all hosts' : hosts[i - 1],
        total: i === 0,
        points: body.buckets.map((b) => ({ t: isoMs(b.start), v: b.peakUsers, at: isoMs(b.peakAt) })),
      }));
      page.drawConcurrency(byId('chart'), {
        from,
        to,
        bucketMs: range.bucket,
        series,
        onPick: (t) => void showAt(new Date(t), true),
      });
      renderLegend(series);
      const peak = series[0].points.reduce((best, p) => (p.v > (best?.v ?? 0) ? p : best), null);
      byId('chart-summary').textContent = peak
        ? `Peak ${plural(peak.v, 'user')} at ${localTime(peak.at)} (${range.label}). Click the chart to see who was on then.`
        : `Nobody was on in the ${range.label}.`;
      byId('chart-error').textContent = '';
    } catch (error) {
      byId('chart-error').textContent = `The chart could not be drawn: ${error.message}`;
    }
  }, CHART_MIN_INTERVAL_MS);

  function renderLegend(series) {
    byId('chart-legend').replaceChildren(
      ...series.map((s, i) =>
        el(
          'li',
          {},
          el('span', { className: s.total ? 'swatch series-total' : `swatch series-${(i % 8).toString()}` }),
          s.name,
        ),
      ),
    );
  }

  function pickRange(name) {
    chartRange = name;
    for (const b of document.querySelectorAll('[data-range]'))
      b.setAttribute('aria-pressed', String(b.dataset.range === name));
    chart.run();
  }

  // ---- who was on at T ---------------------------------------------------------------------------

  /** `exact`: to the millisecond (a click on the chart), else the whole second the picker shows. */
  async function showAt(date, exact = false) {
    const error = byId('at-error');
    error.textContent = '';
    byId('at-input').value = page.localInputValue(date);
    const at = exact ? date.toISOString() : page.isoWithOffset(date);
    try {
      const body = await getJson(`/api/sessions?at=${encodeURIComponent(at)}`);
      const atMs = isoMs(body.at);
      const rows = body.sessions.map((s) => {
        const name = el('button', { type: 'button', className: 'link' }, userName(s.user));
        name.addEventListener('click', () => {
          location.hash = `user=${encodeURIComponent(userName(s.user))}`;
        });
        return el(
          'tr',
          { 'data-testid': 'at-session' },
          el('td', {}, s.host),
          el('td', {}, name),
          el('td', {}, localTime(isoMs(s.start))),
          el('td', {}, duration(atMs - isoMs(s.start))),
        );
      });
      byId('at-sessions').replaceChildren(...rows);
      byId('at-count').textContent = `${plural(rows.length, 'session')} open at ${localTime(atMs)}`;
      byId('at-result').hidden = false;
      byId('at-result').scrollIntoView({ block: 'nearest' });
    } catch (e) {
      error.textContent = e instanceof TypeError ? 'Cannot reach the aggregator.' : e.message;
    }
  }

  function submitAt(event) {
    event.preventDefault();
    // datetime-local has no zone: the value is the browser's local time.
    const date = new Date(byId('at-input').value);
    if (Number.isNaN(date.getTime())) {
      byId('at-error').textContent = 'Pick a date and time first.';
      return;
    }
    void showAt(date);
  }

  // ---- a user's timeline -------------------------------------------------------------------------

  let shownUser = null;

  async function showUser(user) {
    shownUser = user;
    byId('user-name').textContent = user;
    byId('user-view').hidden = false;
    byId('now-view').hidden = true;
    const to = Date.now();
    const from = to - USER_RANGES[userRange];
    const error = byId('user-error');
    error.textContent = '';
    try {
      const body = await getJson(
        `/api/users/${encodeURIComponent(user)}/history?from=${encodeURIComponent(new Date(from).toISOString())}` +
          `&to=${encodeURIComponent(new Date(to).toISOString())}`,
      );
      if (shownUser !== user) return;
      const lanes = [];
      const lane = (kind, label) => {
        let found = lanes.find((l) => l.kind === kind && l.label === label);
        if (!found) {
          found = { kind, label, intervals: [] };
          lanes.push(found);
        }
        return found;
      };
      for (const s of body.sessions)
        lane('session', `session · ${s.host}`).intervals.push({
          start: isoMs(s.start),
          end: isoMs(s.end),
          title: `Session on ${s.host}`,
        });
      for (const c of body.connections)
        lane('connection', `app ${(c.appId ?? 'hub').slice(0, 8)} · ${c.host}`).intervals.push({
          start: isoMs(c.start),
          end: isoMs(c.end),
          title: `App ${c.appId ?? '(none)'} on ${c.host}`,
        });
      page.drawTimeline(byId('user-timeline'), { from, to, lanes });
      const items = [
        ...body.sessions.map((s) => ({ ...s, what: 'session' })),
        ...body.connections.map((c) => ({ ...c, what: `app ${c.appId ?? '(none)'}` })),
      ].sort((a, b) => isoMs(b.start) - isoMs(a.start));
      byId('user-intervals').replaceChildren(
        ...items.map((i) =>
          el(
            'tr',
            { 'data-testid': 'user-interval' },
            el('td', {}, i.what),
            el('td', {}, i.host),
            el('td', {}, localTime(isoMs(i.start))),
            el('td', {}, i.end ? localTime(isoMs(i.end)) : 'still open'),
            el('td', {}, duration((isoMs(i.end) ?? to) - isoMs(i.start))),
            el('td', {}, i.endReason ?? ''),
          ),
        ),
      );
      byId('user-summary').textContent =
        `${plural(body.sessions.length, 'session')} and ${plural(body.connections.length, 'app connection')} ` +
        `between ${localTime(from)} and ${localTime(to)}` +
        (body.truncated.sessions || body.truncated.connections ? ' (the first 1,000 of each)' : '');
    } catch (e) {
      error.textContent = e instanceof TypeError ? 'Cannot reach the aggregator.' : e.message;
    }
  }

  function pickUserRange(name) {
    userRange = name;
    for (const b of document.querySelectorAll('[data-user-range]'))
      b.setAttribute('aria-pressed', String(b.dataset.userRange === name));
    if (shownUser !== null) void showUser(shownUser);
  }

  function route() {
    const match = /^#user=(.+)$/.exec(location.hash);
    if (match) {
      void showUser(decodeURIComponent(match[1]));
      return;
    }
    shownUser = null;
    byId('user-view').hidden = true;
    byId('now-view').hidden = false;
  }

  // ---- alerts and nodes ----------------------------------------------------------------------------

  function alertItem(a, firing) {
    const conditions = (a.conditions ?? []).map((c) =>
      el(
        'tr',
        { className: c.result ? 'met' : '' },
        el('td', {}, c.fact),
        el('td', {}, c.value),
        el('td', {}, c.operator),
        el('td', {}, c.threshold),
        el('td', {}, c.result ? 'met' : 'not met'),
      ),
    );
    return el(
      'li',
      { 'data-testid': firing ? 'alert-firing' : 'alert', className: firing ? 'alert firing' : 'alert' },
      el(
        'p',
        {},
        el('strong', {}, `${a.severity} · ${a.rule}`),
        ` ${a.status === 'resolved' ? 'resolved' : firing ? 'firing' : a.status} · ${localTime(isoMs(a.time))}`,
        el('span', { className: 'muted' }, ` (${a.host}, node ${a.node})`),
      ),
      el('p', {}, a.message),
      a.description ? el('p', { className: 'muted' }, a.description) : null,
      firing && a.firingSince
        ? el('p', { className: 'muted' }, `firing for ${duration(Date.now() - isoMs(a.firingSince))}`)
        : null,
      conditions.length > 0
        ? el(
            'table',
            { className: 'conditions', 'data-testid': 'alert-conditions' },
            el(
              'thead',
              {},
              el(
                'tr',
                {},
                ...['Fact', 'Value', 'Operator', 'Threshold', 'Outcome'].map((h) =>
                  el('th', { scope: 'col' }, h),
                ),
              ),
            ),
            el('tbody', {}, ...conditions),
          )
        : null,
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
    byId('alerts-summary').textContent = alerts.firing.length > 0 ? `${alerts.firing.length} firing` : '';
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
        el('td', {}, `${duration(n.lastSeenAgeSeconds * 1000)} ago`),
      ),
    );
    byId('nodes').replaceChildren(...rows);
    byId('nodes-empty').hidden = rows.length > 0;
    const silent = nodes.filter((n) => n.silent).length;
    byId('nodes-summary').textContent = silent > 0 ? `${plural(silent, 'node')} silent` : '';
  }

  // ---- live stream ---------------------------------------------------------------------------------

  function onUpdate(message) {
    latest = JSON.parse(message.data);
    renderSummary(latest.now, latest.nodes);
    renderNodes(latest.nodes);
    renderAlerts(latest.alerts);
    online.schedule();
    chart.schedule();
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

  byId('at-input').value = page.localInputValue(new Date());
  byId('at-form').addEventListener('submit', submitAt);
  byId('at-close').addEventListener('click', () => {
    byId('at-result').hidden = true;
  });
  byId('search').addEventListener('input', (event) => table.search(event.target.value));
  for (const b of document.querySelectorAll('[data-range]'))
    b.addEventListener('click', () => pickRange(b.dataset.range));
  for (const b of document.querySelectorAll('[data-user-range]'))
    b.addEventListener('click', () => pickUserRange(b.dataset.userRange));
  byId('user-back').addEventListener('click', () => {
    location.hash = '';
  });
  window.addEventListener('hashchange', route);
  route();
  connect();
  online.run();
  chart.run();
  // Minutes pass without updates too: durations grow and the chart's window moves on.
  setInterval(() => {
    table.tick(Date.now());
    chart.schedule();
  }, 30_000);
})((globalThis.sensePage ??= {}));
