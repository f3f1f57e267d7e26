/**
 * Success and failure counts over the last `windowMs`, in `bucketCount` time buckets. A bucket
 * older than the window is reset when its slot comes round again, so an old outage stops counting
 * once the window has moved past it (unlike a ratio kept since start).
 * @internal
 */
export class SlidingWindow {
  private readonly bucketCount: number;
  private readonly bucketMs: number;
  private readonly epochs: number[];
  private readonly successes: number[];
  private readonly failures: number[];

  constructor(
    readonly windowMs: number,
    buckets = 60,
    private readonly now: () => number = Date.now,
  ) {
    const bucketCount = Math.max(1, Math.min(buckets, Math.floor(windowMs)));
    this.bucketCount = bucketCount;
    this.bucketMs = Math.ceil(windowMs / bucketCount);
    this.epochs = new Array<number>(bucketCount).fill(-1);
    this.successes = new Array<number>(bucketCount).fill(0);
    this.failures = new Array<number>(bucketCount).fill(0);
  }

  /** Counts one outcome (or `count` of them) now. */
  record(success: boolean, count = 1): void {
    const epoch = Math.floor(this.now() / this.bucketMs);
    const slot = epoch % this.bucketCount;
    if (this.epochs[slot] !== epoch) {
      this.epochs[slot] = epoch;
      this.successes[slot] = 0;
      this.failures[slot] = 0;
    }
    if (success) this.successes[slot] += count;
    else this.failures[slot] += count;
  }

  /** Totals of the buckets inside the window. */
  totals(): { successes: number; failures: number } {
    const current = Math.floor(this.now() / this.bucketMs);
    let successes = 0;
    let failures = 0;
    for (let slot = 0; slot < this.bucketCount; slot++) {
      if (current - this.epochs[slot] < this.bucketCount) {
        successes += this.successes[slot];
        failures += this.failures[slot];
      }
    }
    return { successes, failures };
  }

  /** Failures / all outcomes in the window; 0 when there were none. */
  errorRatio(): number {
    const { successes, failures } = this.totals();
    const total = successes + failures;
    return total === 0 ? 0 : failures / total;
  }
}
