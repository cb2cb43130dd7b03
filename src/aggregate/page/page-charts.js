// The page's two drawings, as SVG built element by element: concurrent users over time (one
// step line per host and the cluster's total, clickable for "who was on at T") and a user's
// sessions and connections as a timeline. Both take times in epoch ms and label them in the
// browser's time zone.
((page) => {
  'use strict';

  const { svg, timeTicks, countTicks, localTime, duration } = page;

  const WIDTH = 900;
  const PAD = { left: 44, right: 12, top: 12, bottom: 28 };

  /** x of a time in a plot of [from, to). */
  const xOf = (t, from, to) => PAD.left + ((t - from) / (to - from)) * (WIDTH - PAD.left - PAD.right);

  function timeAxis(chart, from, to, height) {
    for (const tick of timeTicks(from, to)) {
      const x = xOf(tick.t, from, to);
      chart.append(
        svg('line', { x1: x, x2: x, y1: PAD.top, y2: height - PAD.bottom, className: 'grid' }),
        svg(
          'text',
          { x, y: height - PAD.bottom + 16, 'text-anchor': 'middle', 'data-testid': 'x-tick' },
          tick.label,
        ),
      );
    }
  }

  /** The time under a pointer event, or null outside the plot. */
  function timeAt(chart, event, from, to) {
    const rect = chart.getBoundingClientRect();
    if (rect.width === 0) return null;
    const x = ((event.clientX - rect.left) * WIDTH) / rect.width;
    if (x < PAD.left || x > WIDTH - PAD.right) return null;
    return from + ((x - PAD.left) / (WIDTH - PAD.left - PAD.right)) * (to - from);
  }

  /**
   * series: [{ name, total, points: [{ t, v, at }] }] with points in time order, each the peak
   * `v` of the bucket that starts at t, reached at `at`; the first series is the cluster's
   * total. onPick(t) gets the moment a click picked.
   */
  function drawConcurrency(container, { from, to, bucketMs, series, onPick }) {
    const height = 260;
    const max = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p.v)));
    const yTicks = countTicks(max);
    const top = yTicks[yTicks.length - 1] ?? max;
    const yOf = (v) => height - PAD.bottom - (v / top) * (height - PAD.top - PAD.bottom);
    const chart = svg('svg', {
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'img',
      'data-testid': 'concurrency-chart',
      className: 'chart',
    });
    chart.append(svg('title', {}, 'Concurrent users over time; click a moment to list who was on then'));
    for (const v of yTicks) {
      const y = yOf(v);
      chart.append(
        svg('line', { x1: PAD.left, x2: WIDTH - PAD.right, y1: y, y2: y, className: 'grid' }),
        svg('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, v.toLocaleString()),
      );
    }
    timeAxis(chart, from, to, height);
    series.forEach((s, i) => {
      if (s.points.length === 0) return;
      // A step line: each bucket's peak holds until the next bucket starts.
      let d = '';
      s.points.forEach((p, k) => {
        const x0 = xOf(Math.max(p.t, from), from, to);
        const x1 = xOf(Math.min(p.t + bucketMs, to), from, to);
        const y = yOf(p.v);
        d += `${k === 0 ? 'M' : 'L'}${x0.toFixed(1)},${y.toFixed(1)}H${x1.toFixed(1)}`;
      });
      chart.append(
        svg('path', {
          d,
          className: s.total ? 'series series-total' : `series series-${i % 8}`,
          'data-series': s.name,
        }),
      );
    });
    const guide = svg('line', {
      y1: PAD.top,
      y2: height - PAD.bottom,
      className: 'guide',
      visibility: 'hidden',
    });
    const readout = svg('text', { x: WIDTH - PAD.right, y: PAD.top + 10, 'text-anchor': 'end' }, '');
    chart.append(guide, readout);
    const valuesAt = (t) =>
      series
        .map((s) => {
          const p = [...s.points].reverse().find((q) => q.t <= t);
          return `${s.name} ${p ? p.v : 0}`;
        })
        .join(' · ');
    chart.addEventListener('pointermove', (event) => {
      const t = timeAt(chart, event, from, to);
      if (t === null) {
        guide.setAttribute('visibility', 'hidden');
        readout.textContent = '';
        return;
      }
      const x = xOf(t, from, to);
      guide.setAttribute('x1', String(x));
      guide.setAttribute('x2', String(x));
      guide.setAttribute('visibility', 'visible');
      readout.textContent = `${localTime(t)}: ${valuesAt(t)}`;
    });
    // A click means "that bucket": the answer is who was on at the peak of the nearest bucket
    // with someone on (within a few pixels: a minute of six hours is two pixels wide, the
    // current one less), not at the instant under the pointer, which is a pixel's worth of time.
    chart.addEventListener('click', (event) => {
      const t = timeAt(chart, event, from, to);
      if (t === null) return;
      const rect = chart.getBoundingClientRect();
      const x = ((event.clientX - rect.left) * WIDTH) / rect.width;
      const tolerance = (4 * WIDTH) / rect.width;
      let best = null;
      let bestDistance = tolerance;
      for (const p of series[0]?.points ?? []) {
        if (p.v === 0 || p.at === null) continue;
        const x0 = xOf(Math.max(p.t, from), from, to);
        const x1 = xOf(Math.min(p.t + bucketMs, to), from, to);
        const distance = x < x0 ? x0 - x : x > x1 ? x - x1 : 0;
        if (distance <= bestDistance) {
          best = p;
          bestDistance = distance;
        }
      }
      onPick(Math.min(best === null ? Math.round(t) : best.at, Date.now()));
    });
    container.replaceChildren(chart);
  }

  /**
   * lanes: [{ label, intervals: [{ start, end (null: open), title }] }]: one row per lane, a
   * bar per interval; an open one reaches `to` and is drawn as such.
   */
  function drawTimeline(container, { from, to, lanes }) {
    const laneHeight = 30;
    const height = PAD.top + lanes.length * laneHeight + PAD.bottom;
    const chart = svg('svg', {
      viewBox: `0 0 ${WIDTH} ${height}`,
      role: 'img',
      'data-testid': 'user-timeline',
      className: 'chart',
    });
    chart.append(svg('title', {}, 'Sessions and connections over the chosen period'));
    timeAxis(chart, from, to, height);
    lanes.forEach((lane, i) => {
      const y = PAD.top + i * laneHeight;
      chart.append(svg('text', { x: PAD.left + 2, y: y + 10, className: 'lane-label' }, lane.label));
      for (const iv of lane.intervals) {
        const start = Math.max(iv.start, from);
        const end = Math.min(iv.end ?? to, to);
        if (end <= start) continue;
        const x0 = xOf(start, from, to);
        const bar = svg('rect', {
          x: x0,
          y: y + 13,
          width: Math.max(xOf(end, from, to) - x0, 2),
          height: laneHeight - 17,
          className: `${lane.kind === 'session' ? 'bar-session' : 'bar-connection'}${iv.end === null ? ' bar-open' : ''}`,
          'data-testid': 'timeline-bar',
        });
        bar.append(
          svg(
            'title',
            {},
            `${iv.title}: ${localTime(iv.start)} – ${iv.end === null ? 'still open' : localTime(iv.end)} (${duration((iv.end ?? Date.now()) - iv.start)})`,
          ),
        );
        chart.append(bar);
      }
    });
    container.replaceChildren(chart);
  }

  Object.assign(page, { drawConcurrency, drawTimeline });
})((globalThis.sensePage ??= {}));
