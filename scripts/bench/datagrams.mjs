// The benchmark's datagrams: the simulator's realistic load mix (src/simulate/load.ts), with the
// send time stamped into the message field, which the sidecar keeps in the published event.
// Time is process.hrtime (CLOCK_MONOTONIC on Linux): one clock for every process on the machine,
// so the sender's stamp and the subscriber's receive time compare directly.

const MARK = '#bench-t=';

/** Microseconds on the machine-wide monotonic clock. */
export function nowMicros() {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Index of the `;` that starts the message field (the 7th), or -1. */
function messageStart(text) {
  let at = -1;
  for (let n = 0; n < 7; n++) {
    at = text.indexOf(';', at + 1);
    if (at === -1) return -1;
  }
  return at;
}

/** The datagram with the stamp put in front of its message. */
export function stamp(text, micros) {
  const at = messageStart(text);
  if (at === -1) return text;
  return `${text.slice(0, at + 1)}${MARK}${micros}# ${text.slice(at + 1)}`;
}

/** The stamp in a published message's text, or -1. */
export function stampOf(text) {
  const at = text.indexOf(MARK);
  if (at === -1) return -1;
  const from = at + MARK.length;
  const to = text.indexOf('#', from);
  return to === -1 ? -1 : Number(text.slice(from, to));
}

/** datagram(i) for a run of `count`: the load mix, stamped at the moment it is asked for. */
export function stampedLoad(buildLoad, { count, users, seed, nodes = ['SENSE-NODE1'] }) {
  const next = buildLoad({ count, nodes, users, seed });
  return (i) => stamp(next(i), nowMicros());
}
