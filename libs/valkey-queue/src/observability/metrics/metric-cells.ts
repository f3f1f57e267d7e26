/**
 * The hot paths count into plain cells (a field increment, a bucket search); the registry reads the
 * cells when it is scraped. prom-client's own `inc()`/`observe()` hash the label set on every call
 * (0.5-1 us each on the benchmark machine), too much for a per-message path.
 */

/** Label names and values of one series. @internal */
export type Labels = Readonly<Record<string, string>>;

/** A running total of one series. @internal */
export class CounterCell {
  value = 0;

  inc(by = 1): void {
    this.value += by;
  }
}

/** Bucket counts of one histogram series; `counts[i]` counts values in (bounds[i-1], bounds[i]]. @internal */
export class HistogramCell {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    const { bounds } = this;
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]) {
        this.counts[index] += 1;
        break;
      }
    }
    this.sum += value;
    this.count += 1;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/** One exposition line's worth of a metric, as prom-client's registry formats it. */
interface ExposedValue {
  value: number;
  labels: Record<string, string | number>;
  metricName: string;
}

/**
 * A histogram over `HistogramCell`s, registered in a prom-client registry beside prom-client's own
 * metrics. prom-client has no API to hand it pre-aggregated buckets, so this implements the shape
 * its `Registry` reads (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`). @internal
 */
export class CellHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly series: () => Iterable<{ labels: Labels; cell: HistogramCell }>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: ExposedValue[];
  }> {
    const values: ExposedValue[] = [];
    for (const { labels, cell } of this.series()) {
      let cumulative = 0;
      cell.bounds.forEach((bound, index) => {
        cumulative += cell.counts[index];
        values.push({
          value: cumulative,
          labels: { ...labels, le: bound },
          metricName: `${this.name}_bucket`,
        });
      });
      values.push({
        value: cell.count,
        labels: { ...labels, le: '+Inf' },
        metricName: `${this.name}_bucket`,
      });
      values.push({ value: cell.sum, labels: { ...labels }, metricName: `${this.name}_sum` });
      values.push({ value: cell.count, labels: { ...labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** `Registry.resetMetrics()`: zero every series. */
  reset(): void {
    for (const { cell } of this.series()) cell.reset();
  }
}
