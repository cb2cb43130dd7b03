// The benchmark's table (stdout) and its verdicts against the targets.

const NA = 'n/a';

export function int(n) {
  return n === null || n === undefined || !Number.isFinite(n) ? NA : Math.round(n).toLocaleString('en');
}

export function ms(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return NA;
  if (n >= 1_000) return `${(n / 1_000).toFixed(2)} s`;
  return `${n >= 100 ? Math.round(n) : n.toFixed(n >= 10 ? 1 : 2)} ms`;
}

export function mb(n) {
  return n === null || n === undefined || !Number.isFinite(n) ? NA : `${n.toFixed(1)} MB`;
}

export function pct(n) {
  return n === null || n === undefined || !Number.isFinite(n) ? NA : `${n.toFixed(n < 10 ? 2 : 1)} %`;
}

export function num(n) {
  return n === null || n === undefined || !Number.isFinite(n) ? NA : n.toFixed(n < 10 ? 2 : 1);
}

function ratio(n) {
  return n === null || n === undefined || !Number.isFinite(n) ? '' : `${n.toFixed(2)}×`;
}

function verdict(ok) {
  return ok === null ? NA : ok ? 'yes' : 'NO';
}

/** Each target with the figure it judges and whether it is met (null: not measurable here). */
export function checks(results) {
  const { targets: t, sustained, bursts, latency, footprint, quiet } = results;
  const known = (...xs) => xs.every((x) => x !== null && x !== undefined && Number.isFinite(x));
  const paced = bursts.paced;
  return [
    {
      name: 'sustained',
      target: `≥ ${int(t.sustainedEventsPerSecond)}/s and ≥ ${t.sustainedShareOfCeiling * 100} % of the lower ceiling`,
      met: known(sustained.shareOfCeiling)
        ? sustained.rate >= t.sustainedEventsPerSecond &&
          sustained.shareOfCeiling >= t.sustainedShareOfCeiling
        : sustained.rate >= t.sustainedEventsPerSecond,
    },
    {
      name: 'burst',
      target: `at ${int(paced.offeredRate)}/s: ≥ ${t.burstReceivedShare * 100} % received, all received published`,
      met: known(paced.receivedShare, paced.received)
        ? paced.receivedShare >= t.burstReceivedShare && paced.published >= paced.received
        : null,
    },
    {
      name: 'latency',
      target: `p99 < ${t.latencyP99Ms} ms at ${int(latency.rate)}/s`,
      met: known(latency.p99Ms) ? latency.p99Ms < t.latencyP99Ms : null,
    },
    {
      name: 'idleWakeups',
      target: `≤ ${t.idleWakeupsPerSecond} a second`,
      met: known(quiet.sidecar.idle.wakeupsPerSecond)
        ? quiet.sidecar.idle.wakeupsPerSecond <= t.idleWakeupsPerSecond
        : null,
    },
    {
      name: 'idleCpu',
      target: `≤ ${t.idleCpuPercent} % of one core`,
      met: known(quiet.sidecar.idle.cpuPercent) ? quiet.sidecar.idle.cpuPercent <= t.idleCpuPercent : null,
    },
    {
      name: 'cpuAt5',
      target: `≤ ${t.cpuAt5OverFloor} × the floor`,
      met: known(quiet.ratios.cpuAt5) ? quiet.ratios.cpuAt5 <= t.cpuAt5OverFloor : null,
    },
    {
      name: 'cpuAt100',
      target: `≤ ${t.cpuAt100OverFloor} × the floor`,
      met: known(quiet.ratios.cpuAt100) ? quiet.ratios.cpuAt100 <= t.cpuAt100OverFloor : null,
    },
    {
      // Judged once the node has trimmed its idle heap (memory.idleTrimAfter), as a node idle
      // for the night is; a run without the trim's figure is judged on the idle RSS before it.
      name: 'idleRss',
      target: `≤ ${t.idleRssOverFloor} × the floor`,
      met: known(idleRssRatio(quiet.ratios)) ? idleRssRatio(quiet.ratios) <= t.idleRssOverFloor : null,
    },
    {
      name: 'ready',
      target: `< ${ms(t.readyMs)}`,
      met: known(footprint.readyMs) ? footprint.readyMs < t.readyMs : null,
    },
  ];
}

/** The idle RSS ratio the target is judged on: after the idle trim when the run measured it. */
function idleRssRatio(ratios) {
  return Number.isFinite(ratios.idleRssAfterTrim) ? ratios.idleRssAfterTrim : ratios.idleRss;
}

function markdown(header, rows, align) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (align[i] === 'r' ? String(c).padStart(widths[i]) : String(c).padEnd(widths[i]))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (align[i] === 'r' ? `${'-'.repeat(w - 1)}:` : '-'.repeat(w))).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}

function burstText(b) {
  const share = b.receivedShare === null ? NA : `${(b.receivedShare * 100).toFixed(2)} %`;
  return (
    `received ${int(b.received)} (${share}), published ${int(b.published)}, lost ${int(b.lost)}, ` +
    `kernel drops ${int(b.kernelDrops)}`
  );
}

/**
 * The quiet node: the floor, the sidecar, the ratios judged, and beside them the same with
 * intake batching off, with a longer quiet batch and with the quiet-node settings (each with its
 * ratio to the floor).
 */
function quietTable(results, check) {
  const { quiet, batching, longWait, quietSettings } = results;
  const { floor, sidecar, ratios } = quiet;
  const trimmed = sidecar.idle.rssAfterTrimMb !== undefined;
  const variant = (v, read, key) => {
    const cell = v?.quiet === undefined ? '' : read(v.quiet);
    return cell === '' || ratios[key] === null ? cell : `${cell} (${ratio(v.ratios[key])})`;
  };
  const row = (name, read, key, checkName) => [
    name,
    read(floor),
    read(sidecar),
    ratio(ratios[key]),
    variant(batching, read, key),
    variant(longWait, read, key),
    variant(quietSettings, read, key),
    checkName === undefined ? '' : check[checkName].target,
    checkName === undefined ? '' : verdict(check[checkName].met),
  ];
  const rows = [
    row(
      'idle wake-ups a second (all threads)',
      (p) => num(p.idle.wakeupsPerSecond),
      'idleWakeups',
      'idleWakeups',
    ),
    row('idle CPU', (p) => pct(p.idle.cpuPercent), 'idleCpu', 'idleCpu'),
    row(
      `CPU going quiet (the ${quiet.goingQuietSeconds} s before idle)`,
      (p) => pct(p.goingQuiet.cpuPercent),
      'goingQuietCpu',
    ),
    row('idle RSS', (p) => mb(p.idle.rssMb), 'idleRss', trimmed ? undefined : 'idleRss'),
    ...(trimmed
      ? [
          row(
            'idle RSS after the idle trim (its pause)',
            (p) =>
              p === floor
                ? mb(p.idle.rssMb)
                : p.idle.rssAfterTrimMb === undefined
                  ? ''
                  : `${mb(p.idle.rssAfterTrimMb)} (${ms(p.idle.trimMs)})`,
            'idleRssAfterTrim',
            'idleRss',
          ),
        ]
      : []),
    row('CPU at 5 events/s', (p) => pct(p.rates[5].cpuPercent), 'cpuAt5', 'cpuAt5'),
    row('wake-ups a second at 5 events/s', (p) => num(p.rates[5].wakeupsPerSecond), 'wakeupsAt5'),
    row('CPU at 100 events/s', (p) => pct(p.rates[100].cpuPercent), 'cpuAt100', 'cpuAt100'),
    row('wake-ups a second at 100 events/s', (p) => num(p.rates[100].wakeupsPerSecond), 'wakeupsAt100'),
  ];
  return [
    `quiet node (idle ${quiet.idleSeconds} s after ${quiet.settleSeconds} s of quiet and ${quiet.goingQuietSeconds} s going quiet, then ${quiet.rateSeconds} s at each rate; lost ${int(quiet.lost)}):`,
    '',
    markdown(
      [
        'measure',
        'floor',
        'sidecar',
        'sidecar / floor',
        batching === undefined ? '' : 'batching off',
        longWait === undefined ? '' : `batchWait ${longWait.waitMs / 1000} s`,
        quietSettings === undefined ? '' : quietSettingsName(quietSettings),
        'target',
        'met',
      ],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
    ),
    ...librariesLine(quiet, results.targets.idleRssOverFloor),
    ...durableLine(quiet, results.targets.cpuAt5OverFloor),
  ].join('\n');
}

/** What a target of `targetOverFloor` × the floor leaves over `used`; null when either is unknown. */
function roomUnder(floorValue, targetOverFloor, used) {
  return floorValue === null || used === null ? null : floorValue * targetOverFloor - used;
}

/**
 * What the stack's libraries alone weigh: the floor's socket with every runtime dependency
 * imported, idle. Beside the RSS target it shows how much room the target leaves for the rest.
 */
function librariesLine(quiet, targetOverFloor) {
  const libraries = quiet.floorWithLibraries;
  if (libraries === undefined) return [];
  const room = roomUnder(quiet.floor.idle.rssMb, targetOverFloor, libraries.idleRssMb);
  return [
    '',
    `The floor with the stack's ${libraries.imported.length} libraries imported (package.json dependencies, ` +
      `no code of ours), idle: ${mb(libraries.idleRssMb)}, ${ratio(libraries.overFloor)} the floor. ` +
      `The RSS target (≤ ${targetOverFloor} ×) leaves ${mb(room)} over that for the sidecar's own code, ` +
      `state and buffers.`,
  ];
}

/**
 * What the durable round alone costs at the quiet rates: the floor's socket that holds, writes,
 * syncs and publishes with acknowledgements, and does nothing else. Beside the CPU target at
 * 5 events/s it shows how much the target leaves for the rest of the sidecar.
 */
function durableLine(quiet, targetOverFloor) {
  const durable = quiet.durableFloor;
  if (durable === undefined) return [];
  const at = (rate) =>
    `${pct(durable.profile.rates[rate].cpuPercent)} (${ratio(durable.ratios[`cpuAt${rate}`])} the floor)`;
  const room = roomUnder(
    quiet.floor.rates[5].cpuPercent,
    targetOverFloor,
    durable.profile.rates[5].cpuPercent,
  );
  return [
    '',
    `The floor with the durable round and nothing else (held up to ${durable.batchWaitMs / 1000} s, written and ` +
      `fdatasync'd, published to JetStream, each acknowledged; lost ${int(durable.lost)}): ` +
      `CPU at 5 events/s ${at(5)}, at 100 events/s ${at(100)}; idle ${pct(durable.profile.idle.cpuPercent)}, ` +
      `RSS ${mb(durable.profile.idle.rssMb)}. The CPU target at 5 events/s (≤ ${targetOverFloor} ×) leaves ` +
      `${room === null ? NA : `${room.toFixed(2)} %`} of a core over that for decoding, state, rules, status and metrics.`,
  ];
}

/** The column and row name of the quiet-node settings. */
function quietSettingsName(settings) {
  return `readerThread ${settings.readerThread}, batchWait ${settings.waitMs / 1000} s`;
}

export function table(results) {
  const { meta, ceilings, sustained, bursts, latency, footprint, batching, quietSettings } = results;
  const check = Object.fromEntries(results.checks.map((c) => [c.name, c]));
  const udp = ceilings.udp;
  const js = ceilings.jetstream;
  const mode =
    meta.sidecarMode === 'jetstream'
      ? 'JetStream (the sidecar created stream SENSE_EVENTS)'
      : meta.sidecarMode === 'core'
        ? 'core NATS (no SENSE_EVENTS stream was created)'
        : 'unknown';
  const lines = [
    '',
    `sense-sidecar benchmark${meta.smoke ? ' (SMOKE: tiny figures, only proves it runs)' : ''}`,
    `build: ${meta.git === null ? 'not a git checkout' : `${meta.git.commit.slice(0, 12)}${meta.git.changedFiles > 0 ? ` + ${meta.git.changedFiles} changed file(s)` : ''}`}`,
    `Node ${meta.node}, ${meta.platform}, ${meta.cpus} CPU(s) ${meta.cpuModel}, nats-server ${meta.natsServer} with JetStream (file store)`,
    `sidecar publishing: ${mode}; the shipped rules; ${int(meta.options.users)} users in the load`,
    meta.options.warmUp > 0
      ? `every fresh sidecar is warmed up with ${int(meta.options.warmUp)} datagrams at ${int(meta.options.warmUpRate)}/s first (not counted)`
      : 'no warm-up: every phase measures a cold sidecar (JIT compilation included)',
  ];
  const busiest = Math.max(meta.loadAverageAtStart[0] ?? 0, meta.loadAverageAtEnd?.[0] ?? 0);
  lines.push(
    `load average (1 min) ${meta.loadAverageAtStart[0]} at start, ${meta.loadAverageAtEnd?.[0] ?? NA} at end` +
      (busiest > meta.cpus * 0.5
        ? ': OTHER WORK WAS RUNNING ON THIS MACHINE, the figures are lower than they would be'
        : ''),
    '',
  );
  const burstRow = (b, what) => [
    `burst: ${int(b.offered)} ${what} (sent at ${int(b.actualRate)}/s)`,
    burstText(b),
    b.throughput === null ? '' : `${int(b.throughput)}/s = ${ratio(b.shareOfCeiling)}`,
  ];
  const rows = [
    [
      'ceiling: bare UDP receiver',
      `${udp.senderBound ? '≥ ' : ''}${int(udp.perSecond)}/s (${int(udp.flood.sent)} as fast as one sender can, ${int(udp.flood.lost)} lost${udp.senderBound ? ': the sender is the limit' : ''})`,
      '',
      '',
      '',
    ],
    [
      'ceiling: bare JetStream publisher',
      `${int(js.perSecond)}/s (${int(js.messages)} × ${js.messageBytes} B, acknowledged, ${int(js.window)} in flight)`,
      '',
      '',
      '',
    ],
    [
      `sustained, zero loss, ${meta.options.duration} s`,
      `${int(sustained.rate)}/s${sustained.steps.at(-1)?.held === false ? ` (${int(sustained.steps.at(-1).offeredRate)}/s not held)` : ' (highest step tried)'}`,
      sustained.shareOfCeiling === null ? '' : ratio(sustained.shareOfCeiling),
      check.sustained.target,
      verdict(check.sustained.met),
    ],
    [
      ...burstRow(bursts.paced, `at ${int(bursts.paced.offeredRate)}/s`),
      check.burst.target,
      verdict(check.burst.met),
    ],
    [...burstRow(bursts.flood, 'as fast as one sender can'), '', ''],
    ...(quietSettings === undefined
      ? []
      : [
          [
            ...burstRow(
              quietSettings.burst,
              `at ${int(quietSettings.burst.offeredRate)}/s, quiet-node settings (${quietSettingsName(quietSettings)})`,
            ),
            'what the quiet-node settings give up',
            '',
          ],
        ]),
    [
      `latency at ${int(latency.rate)}/s (sent → on NATS)`,
      `p50 ${ms(latency.p50Ms)}, p99 ${ms(latency.p99Ms)}, max ${ms(latency.maxMs)}`,
      '',
      check.latency.target,
      verdict(check.latency.met),
    ],
    [
      `RSS at the sustained rate (${int(sustained.steps.find((s) => s.offeredRate === sustained.rate)?.offeredRate ?? sustained.steps[0]?.offeredRate)}/s)`,
      `${mb(sustained.rssMb)} (VmHWM ${mb(sustained.hwmMb)})`,
      '',
      '',
      '',
    ],
    ...(batching === undefined
      ? []
      : [
          [
            `option: intake batching off (batchWait ${batching.waitMs}ms)`,
            `CPU at 5/s ${pct(batching.quiet.rates[5].cpuPercent)} (${ratio(batching.ratios.cpuAt5)} the floor), at 100/s ${pct(batching.cpuPercentAt100)} (${ratio(batching.ratios.cpuAt100)}); latency at ${int(latency.rate)}/s p50 ${ms(batching.latency.p50Ms)}, p99 ${ms(batching.latency.p99Ms)}; lost ${int(batching.lost)}`,
            '',
            'each datagram at once: more wake-ups, no wait below 200/s',
            '',
          ],
        ]),
    [
      'start → ready',
      `${ms(footprint.readyMs)} (median of ${footprint.readyMsAll.length} starts ${ms(footprint.readyMsMedian)})`,
      '',
      check.ready.target,
      verdict(check.ready.met),
    ],
  ];
  lines.push(
    markdown(['measure', 'result', `vs lower ceiling (${int(ceilings.lower)}/s)`, 'target', 'met'], rows, [
      'l',
      'l',
      'r',
      'l',
      'l',
    ]),
  );

  lines.push('', quietTable(results, check), '');
  lines.push(
    '',
    `sustained steps (a step is held with zero loss and caught up ≤ ${ms(meta.options.maxCatchUpMs)} after the last datagram):`,
    '',
  );
  lines.push(
    markdown(
      [
        'offered/s',
        'sent/s',
        'sent',
        'on NATS',
        'in stream',
        'lost',
        'catch-up',
        'p50',
        'p99',
        'max',
        'sidecar CPU',
        'nats CPU',
        'RSS',
        'held',
      ],
      sustained.steps.map((s) => [
        int(s.offeredRate),
        int(s.actualRate),
        int(s.sent),
        int(s.coreEvents),
        s.streamEvents === null ? NA : int(s.streamEvents),
        int(s.lost),
        ms(s.catchUpMs),
        ms(s.latency?.p50Ms ?? null),
        ms(s.latency?.p99Ms ?? null),
        ms(s.latency?.maxMs ?? null),
        pct(s.sidecarCpuPercent),
        pct(s.natsCpuPercent),
        mb(s.rssMb),
        s.held ? 'yes' : 'NO',
      ]),
      ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );

  lines.push('', 'bare UDP receiver (same sender, same rates):', '');
  const bare = [...udp.steps, udp.flood, udp.bursts.paced, udp.bursts.flood];
  lines.push(
    markdown(
      ['run', 'sent', 'sent/s', 'received', 'lost', 'kernel drops', 'received/s'],
      bare.map((b) => [
        b.label,
        int(b.sent),
        int(b.actualRate),
        int(b.received),
        int(b.lost),
        int(b.kernelDrops),
        int(b.perSecond),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  if (!meta.procAvailable) lines.push('', 'RSS, CPU and kernel drops come from /proc: n/a on this system.');
  for (const failure of results.failures ?? []) lines.push('', `NOT VALID: ${failure}`);
  return `${lines.join('\n')}\n`;
}
