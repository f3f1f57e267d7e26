import type { Measurements, MetricSpec } from './scenario.js';

/** The latency figures scenarios report, in milliseconds: lower is better. */
export const LATENCY_METRICS: readonly MetricSpec[] = [
  { key: 'p50', label: 'p50 ms', better: 'lower', digits: 2 },
  { key: 'p95', label: 'p95 ms', better: 'lower', digits: 2 },
  { key: 'p99', label: 'p99 ms', better: 'lower', digits: 2 },
  { key: 'max', label: 'max ms', better: 'lower', digits: 1 },
];

/** Collects latency samples (ms) into a preallocated array: recording allocates nothing. */
export class LatencyRecorder {
  private readonly samples: Float64Array;
  private count = 0;

  constructor(capacity: number) {
    this.samples = new Float64Array(capacity);
  }

  record(milliseconds: number): void {
    if (this.count < this.samples.length) this.samples[this.count++] = milliseconds;
  }

  get recorded(): number {
    return this.count;
  }

  /** p50, p95, p99 and max of what was recorded (nearest-rank percentiles). */
  summary(): Measurements {
    const sorted = this.samples.slice(0, this.count).sort();
    const rank = (quantile: number): number =>
      sorted.length === 0
        ? Number.NaN
        : sorted[Math.min(sorted.length - 1, Math.ceil(quantile * sorted.length) - 1)];
    return { p50: rank(0.5), p95: rank(0.95), p99: rank(0.99), max: rank(1) };
  }
}

/**
 * Calls `send(index)` for indexes 0..total-1 at a steady `perSecond`, without waiting for the sends:
 * every 5 ms it sends what the schedule says is due by now, so a slow tick does not lower the rate.
 * Resolves when every send has resolved.
 */
export async function sendAtRate(
  total: number,
  perSecond: number,
  send: (index: number) => Promise<unknown>,
): Promise<void> {
  const started = performance.now();
  const pending: Promise<unknown>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * perSecond) + 1);
      for (; next < due; next++) pending.push(send(next));
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    };
    const timer = setInterval(tick, 5);
    tick();
  });
  await Promise.all(pending);
}

/** Waits for a condition the run cannot await (the last handlers of a steady run), polling every 5 ms. */
export async function waitFor(done: () => boolean, withinMs: number, what: string): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
