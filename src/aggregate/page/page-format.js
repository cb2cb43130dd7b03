// The live page's shared helpers: building elements (always as text, never as HTML), local
// times and durations, and time-axis ticks in the browser's own time zone. Each page script
// registers what it offers on one namespace object; live-page.ts inlines them in order.
((page) => {
  'use strict';

  /** An element with attributes and children; strings become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(props ?? {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'className') node.className = value;
      else node.setAttribute(name, value === true ? '' : String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  const SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs ?? {}))
      node.setAttribute(name === 'className' ? 'class' : name, String(value));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const byId = (id) => document.getElementById(id);
  const userName = (u) => `${u.directory}\\${u.id}`;
  const plural = (n, word) => `${n.toLocaleString()} ${word}${n === 1 ? '' : 's'}`;

  const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
  const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
  const dayOnly = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
  const dayAndTime = new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });

  /** A time in the browser's zone; `—` for none. */
  const localTime = (ms) => (ms === null || ms === undefined || Number.isNaN(ms) ? '—' : dateTime.format(ms));
  const isoMs = (iso) => (iso ? Date.parse(iso) : null);

  /** `45 s`, `12 min`, `2 h 05 min`, `3 d 4 h`: how long, to the unit that matters. */
  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s} s`;
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
    return `${Math.floor(h / 24)} d ${h % 24} h`;
  }

  const MINUTE = 60_000;
  const HOUR = 60 * MINUTE;
  const DAY = 24 * HOUR;
  const TICK_STEPS = [
    MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
  ];

  /**
   * Tick times between from and to, at most about `count`, on round local times (whole hours
   * of the browser's zone, local midnights for days), each with its label.
   */
  function timeTicks(from, to, count = 7) {
    const step = TICK_STEPS.find((s) => (to - from) / s <= count) ?? 30 * DAY;
    const first = new Date(from);
    first.setSeconds(0, 0);
    if (step >= DAY) first.setHours(0, 0, 0, 0);
    else if (step >= HOUR) first.setMinutes(0);
    else first.setMinutes(Math.floor(first.getMinutes() / (step / MINUTE)) * (step / MINUTE));
    const ticks = [];
    const d = first;
    while (d.getTime() <= to && ticks.length < 60) {
      const t = d.getTime();
      if (t >= from) {
        const midnight = d.getHours() === 0 && d.getMinutes() === 0;
        const label = step >= DAY ? dayOnly.format(d) : midnight ? dayAndTime.format(d) : timeOnly.format(d);
        ticks.push({ t, label });
      }
      if (step >= DAY) d.setDate(d.getDate() + step / DAY);
      else if (step >= HOUR) d.setHours(d.getHours() + step / HOUR);
      else d.setTime(t + step);
    }
    return ticks;
  }

  /** Round values for a count axis from 0 to at least max: 0, 1, 2 … or 0, 5, 10 … */
  function countTicks(max) {
    const top = Math.max(1, max);
    const raw = top / 4;
    const magnitude = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((k) => k * magnitude).find((s) => s >= raw) ?? magnitude * 10;
    const nice = Math.max(1, Math.round(step));
    const ticks = [];
    for (let v = 0; v <= top + nice - 1 && ticks.length < 12; v += nice) ticks.push(v);
    return ticks;
  }

  const pad = (n) => String(n).padStart(2, '0');

  /** `2026-11-30T09:00:00+01:00`: a local time with the browser's offset, as the API wants. */
  function isoWithOffset(date) {
    const offset = -date.getTimezoneOffset();
    const abs = Math.abs(offset);
    return (
      `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
      `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
      `${offset >= 0 ? '+' : '-'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
    );
  }

  /** The value of a datetime-local input for a date. */
  const localInputValue = (date) => isoWithOffset(date).slice(0, 19);

  /** JSON from the aggregator, or an Error with its message. */
  async function getJson(path) {
    const response = await fetch(path);
    const body = await response.json();
    if (!response.ok) throw new Error(body.error ?? `the aggregator answered ${response.status}`);
    return body;
  }

  /**
   * A refresh that runs at most once per `minIntervalMs` however often it is scheduled, never
   * twice at once, and once more after the current run when `run` is called during it (a new
   * period picked while the old one is being drawn). `refresh` handles its own errors.
   */
  function throttled(refresh, minIntervalMs) {
    let at = 0;
    let timer = null;
    let inFlight = false;
    let again = false;
    async function go() {
      if (inFlight) {
        again = true;
        return;
      }
      inFlight = true;
      again = false;
      at = Date.now();
      try {
        await refresh();
      } finally {
        inFlight = false;
        if (again) void go();
      }
    }
    return {
      run: () => void go(),
      schedule() {
        if (timer !== null) return;
        timer = setTimeout(
          () => {
            timer = null;
            void go();
          },
          Math.max(0, at + minIntervalMs - Date.now()),
        );
      },
    };
  }

  const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

  Object.assign(page, {
    el,
    svg,
    byId,
    userName,
    plural,
    localTime,
    isoMs,
    duration,
    timeTicks,
    countTicks,
    isoWithOffset,
    localInputValue,
    getJson,
    throttled,
    browserZone,
    MINUTE,
    HOUR,
    DAY,
  });
})((globalThis.sensePage ??= {}));
