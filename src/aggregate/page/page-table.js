// The "who is on" table: every (host, user) on now from /api/online, sorted by a column,
// filtered by a search box, and drawn as a window of rows: only the rows in view (plus a
// margin) are in the document, so ten thousand users scroll and filter as fast as ten.
((page) => {
  'use strict';

  const { el, userName, duration, localTime } = page;

  /** Every row has this height (CSS keeps it: one line, cut with an ellipsis). */
  const ROW_HEIGHT = 32;
  /** Rows drawn beyond the visible ones, above and below. */
  const MARGIN_ROWS = 10;

  const COLUMNS = [
    { key: 'user', label: 'User', value: (r) => r.userText.toLowerCase() },
    { key: 'host', label: 'Host', value: (r) => r.host.toLowerCase() },
    { key: 'since', label: 'Since', value: (r) => r.sinceMs },
    { key: 'for', label: 'For', value: (r) => -r.sinceMs },
    { key: 'apps', label: 'Apps open', value: (r) => r.apps.length },
    { key: 'browser', label: 'Browser', value: (r) => (r.browser ?? '').toLowerCase() },
    { key: 'os', label: 'OS', value: (r) => (r.os ?? '').toLowerCase() },
    { key: 'node', label: 'Node', value: (r) => r.node.toLowerCase() },
  ];

  /**
   * @param container the scrolling element; @param onUser called with a user's `DIR\id` when
   * their name is clicked; @param onCount called with (shown, total) after each change.
   */
  function createOnlineTable({ container, onUser, onCount }) {
    let rows = [];
    let visible = [];
    let query = '';
    let sort = { key: 'since', descending: true };
    let now = Date.now();
    let frame = 0;

    const headCells = COLUMNS.map((c) => {
      const button = el('button', { type: 'button', 'data-sort': c.key }, c.label);
      button.addEventListener('click', () => {
        sort = { key: c.key, descending: sort.key === c.key ? !sort.descending : c.key === 'since' };
        apply();
      });
      return el('th', { scope: 'col', 'data-column': c.key }, button);
    });
    const body = el('tbody', { 'data-testid': 'online-body' });
    const table = el(
      'table',
      { className: 'online', 'data-testid': 'online-table' },
      el('thead', {}, el('tr', {}, ...headCells)),
      body,
    );
    container.replaceChildren(table);
    container.addEventListener('scroll', () => schedule());

    function prepare(r) {
      const userText = userName(r.user);
      const sinceMs = Date.parse(r.since);
      const haystack = [userText, r.host, r.node, r.browser ?? '', r.os ?? '', ...r.apps]
        .join('\n')
        .toLowerCase();
      return { ...r, userText, sinceMs, haystack };
    }

    function apply() {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      const matching =
        words.length === 0 ? rows : rows.filter((r) => words.every((w) => r.haystack.includes(w)));
      const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[2];
      const sign = sort.descending ? -1 : 1;
      visible = matching
        .map((r) => ({ r, v: column.value(r) }))
        .sort((a, b) => (a.v < b.v ? -sign : a.v > b.v ? sign : a.r.userText.localeCompare(b.r.userText)))
        .map((x) => x.r);
      for (const th of headCells) {
        const key = th.dataset.column;
        th.setAttribute(
          'aria-sort',
          key === sort.key ? (sort.descending ? 'descending' : 'ascending') : 'none',
        );
      }
      onCount(visible.length, rows.length);
      draw();
    }

    function schedule() {
      if (frame !== 0) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        draw();
      });
    }

    function cell(text, props) {
      return el('td', { title: text, ...props }, text);
    }

    function rowElement(r) {
      const name = el(
        'button',
        { type: 'button', className: 'link', 'data-testid': 'online-user' },
        r.userText,
      );
      name.addEventListener('click', () => onUser(r.userText));
      const apps = r.apps.length === 0 ? '—' : r.apps.map((a) => a.slice(0, 8)).join(', ');
      return el(
        'tr',
        { 'data-testid': 'online-row', 'data-user': r.userText, 'data-host': r.host },
        el('td', { title: r.userText }, name),
        cell(r.host),
        cell(localTime(r.sinceMs)),
        cell(duration(now - r.sinceMs)),
        el('td', { title: r.apps.join('\n') || 'no app open' }, apps),
        cell(r.browser ?? '—'),
        cell(r.os ?? '—'),
        cell(r.node),
      );
    }

    function spacer() {
      return el('tr', { 'aria-hidden': 'true', className: 'spacer' }, el('td', { colspan: 8 }));
    }

    /** Draws the rows in view; spacer rows stand for the others so the scrollbar is true. */
    function draw() {
      const first = Math.max(0, Math.floor(container.scrollTop / ROW_HEIGHT) - MARGIN_ROWS);
      const inView = Math.ceil((container.clientHeight || 600) / ROW_HEIGHT) + 2 * MARGIN_ROWS;
      const last = Math.min(visible.length, first + inView);
      const top = spacer();
      const bottom = spacer();
      // CSSOM, not a style attribute: the page's policy allows no inline styles.
      top.style.height = `${first * ROW_HEIGHT}px`;
      bottom.style.height = `${(visible.length - last) * ROW_HEIGHT}px`;
      const drawn = visible.slice(first, last).map(rowElement);
      body.replaceChildren(top, ...drawn, bottom);
      if (visible.length === 0)
        body.replaceChildren(
          el(
            'tr',
            {},
            el(
              'td',
              { colspan: 8, className: 'muted', 'data-testid': 'online-empty' },
              query ? 'Nobody on matches the search.' : 'Nobody is on now.',
            ),
          ),
        );
    }

    return {
      /** New rows from /api/online, as of `at` (ISO). */
      update(body, atMs) {
        now = atMs;
        rows = body.rows.map(prepare);
        apply();
      },
      search(text) {
        query = text.trim();
        container.scrollTop = 0;
        apply();
      },
      /** The durations move on between updates. */
      tick(atMs) {
        now = atMs;
        draw();
      },
    };
  }

  page.createOnlineTable = createOnlineTable;
})((globalThis.sensePage ??= {}));
