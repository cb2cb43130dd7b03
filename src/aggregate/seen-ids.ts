/**
 * The CloudEvents ids the view has applied, so that a redelivered or duplicated message changes
 * nothing. Bounded two ways: at most `maxIds` ids, and none older than `horizonMs` (by arrival,
 * the aggregator's clock). The oldest arrivals are forgotten first.
 *
 * Past the bound an id is forgotten, so a copy arriving later cannot be recognised by its id.
 * Each forgotten id raises a watermark for its stream (source and type: close to a NATS subject,
 * whose order JetStream preserves): the greatest (time, id) forgotten. A message of that stream
 * at or below its watermark whose id is not remembered is treated as a duplicate beyond the
 * horizon (`isBeyondHorizon`): within one stream, messages arrive in publish order, so a message
 * older than one already forgotten is a redelivery, not news. A genuinely new message that
 * arrives that late (after more than `maxIds` later messages or `horizonMs`) is dropped too, and
 * counted; that is the price of a bounded memory.
 *
 * Memory: about 180 bytes per id (the 26-character id string, its Set entry, 28 bytes of ring;
 * measured: 1,000,000 ids took 176 MB of heap), so the default bound costs about 180 MB when
 * full; the time horizon usually keeps it far below that.
 */
export class SeenIds {
  private readonly set = new Set<string>();
  private ids: (string | undefined)[] = [];
  private arrivals = new Float64Array(0);
  private times = new Float64Array(0);
  private streams = new Int32Array(0);
  private head = 0;
  private count = 0;
  /** Source → type → stream number (nested: no key string built per message). */
  private readonly streamIndex = new Map<string, Map<string, number>>();
  private streamCount = 0;
  private readonly marks: { time: number; id: string }[] = [];
  /** Ids forgotten (by count or age). */
  evicted = 0;

  constructor(
    readonly maxIds: number,
    readonly horizonMs: number,
    /** Streams with their own watermark; further streams share none (no watermark check). */
    private readonly maxStreams = 100_000,
  ) {
    if (!Number.isInteger(maxIds) || maxIds < 1)
      throw new RangeError(`SeenIds: maxIds must be ≥ 1 (got ${maxIds})`);
  }

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  /** The stream number of a (source, type), or -1 once maxStreams are known. */
  stream(source: string, type: string): number {
    let types = this.streamIndex.get(source);
    let index = types?.get(type);
    if (index !== undefined) return index;
    if (this.streamCount >= this.maxStreams) return -1;
    if (types === undefined) {
      types = new Map();
      this.streamIndex.set(source, types);
    }
    index = this.marks.length;
    types.set(type, index);
    this.streamCount += 1;
    this.marks.push({ time: -Infinity, id: '' });
    return index;
  }

  /** True when the stream already forgot a message at or after (time, id): see the class comment. */
  isBeyondHorizon(stream: number, time: number, id: string): boolean {
    const mark = stream < 0 ? undefined : this.marks[stream];
    if (mark === undefined) return false;
    return time < mark.time || (time === mark.time && id <= mark.id);
  }

  add(id: string, stream: number, time: number, now: number): void {
    this.expire(now);
    if (this.count === this.maxIds) this.evictOldest();
    if (this.count === this.ids.length) this.grow();
    const at = (this.head + this.count) % this.ids.length;
    this.ids[at] = id;
    this.arrivals[at] = now;
    this.times[at] = time;
    this.streams[at] = stream;
    this.count += 1;
    this.set.add(id);
  }

  /** Forgets ids that arrived before now − horizonMs; O(forgotten + 1). */
  expire(now: number): void {
    const cutoff = now - this.horizonMs;
    while (this.count > 0 && (this.arrivals[this.head] ?? Infinity) < cutoff) this.evictOldest();
  }

  private evictOldest(): void {
    const at = this.head;
    const id = this.ids[at];
    if (id !== undefined) {
      this.set.delete(id);
      const mark = this.marks[this.streams[at] ?? -1];
      const time = this.times[at] ?? -Infinity;
      if (mark !== undefined && (time > mark.time || (time === mark.time && id > mark.id))) {
        mark.time = time;
        mark.id = id;
      }
    }
    this.ids[at] = undefined;
    this.head = (this.head + 1) % this.ids.length;
    this.count -= 1;
    this.evicted += 1;
  }

  /** Doubles the ring (up to maxIds), keeping the oldest at index 0. */
  private grow(): void {
    const size = Math.min(this.maxIds, Math.max(1024, this.ids.length * 2));
    const ids = new Array<string | undefined>(size);
    const arrivals = new Float64Array(size);
    const times = new Float64Array(size);
    const streams = new Int32Array(size);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) % this.ids.length;
      ids[i] = this.ids[from];
      arrivals[i] = this.arrivals[from] ?? 0;
      times[i] = this.times[from] ?? 0;
      streams[i] = this.streams[from] ?? -1;
    }
    this.ids = ids;
    this.arrivals = arrivals;
    this.times = times;
    this.streams = streams;
    this.head = 0;
  }
}
