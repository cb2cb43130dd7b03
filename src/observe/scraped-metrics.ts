/**
 * Labelled Prometheus metrics whose values are read at scrape time, shared by the sidecar's and
 * the aggregator's registries. Each metric's `collect()` resets it and copies the current
 * readings, so programs keep plain numbers on their hot paths and prom-client is touched only
 * while scraping. A total kept as a plain number becomes a real counter this way: a total that
 * goes down (a restart, a replaced component) reads as a counter reset, which it is.
 *
 * Invariants: a counter reading that is negative or not finite is left out (prom-client refuses
 * to decrease); which gauge readings are shown is the caller's choice (the sidecar shows ±Inf,
 * the aggregator leaves out anything not finite), so each program keeps its exposition as it was.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

/** One value per label set; a label set may be `{}` for a metric without labels. */
export type Reading<L extends string> = Iterable<readonly [Readonly<Record<L, string>>, number]>;

export interface ScrapedMetrics {
  /** A counter `<prefix><suffix>` with one series per reading. */
  readonly counter: <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    read: () => Reading<L>,
  ) => void;
  /** A gauge `<prefix><suffix>` with one series per reading the gauge filter accepts. */
  readonly gauge: <L extends string>(
    suffix: string,
    help: string,
    labelNames: readonly L[],
    read: () => Reading<L>,
  ) => void;
}

/** A counter reading prom-client can add: finite and not negative. */
export function isCount(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Registers metrics named `prefix` + suffix in `registry`; `showsGauge` filters gauge readings. */
export function scrapedMetrics(
  registry: Registry,
  prefix: string,
  showsGauge: (value: number) => boolean,
): ScrapedMetrics {
  return {
    counter: (suffix, help, labelNames, read) => {
      new Counter({
        name: prefix + suffix,
        help,
        labelNames,
        registers: [registry],
        collect(this: Counter) {
          this.reset();
          for (const [labels, value] of read()) if (isCount(value)) this.inc(labels, value);
        },
      });
    },
    gauge: (suffix, help, labelNames, read) => {
      new Gauge({
        name: prefix + suffix,
        help,
        labelNames,
        registers: [registry],
        collect(this: Gauge) {
          this.reset();
          for (const [labels, value] of read()) if (showsGauge(value)) this.set(labels, value);
        },
      });
    },
  };
}
