import { CounterCell, HistogramCell, type Labels } from './metric-cells.js';

/** Handler duration buckets, seconds. @internal */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** End-to-end latency buckets, seconds (up to an hour: delayed messages count their delay). @internal */
export const LATENCY_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600,
];

/** Labels of every worker series. @internal */
export interface WorkerLabels extends Labels {
  queue: string;
  group: string;
  /** The worker class name. */
  worker: string;
}

/**
 * The metric cells of one worker (one queue, group and class), created once when the worker is
 * built, so counting a message never builds a label set. The delivery processor counts the outcome
 * it decides (see docs/observability.md). @internal
 */
export class WorkerMetrics {
  /** @OnMessage resolved (acknowledged). */
  readonly processed = new CounterCell();
  /** @OnMessage threw, rejected or timed out: one per failed attempt. */
  readonly failed = new CounterCell();
  /** A failed attempt was scheduled for a retry. */
  readonly retried = new CounterCell();
  readonly dead = new CounterCell();
  readonly broken = new CounterCell();
  readonly expired = new CounterCell();
  /** @OnMessage run time, seconds. */
  readonly duration = new HistogramCell(DURATION_BUCKETS);
  /** From the envelope's createdAt to the first handler start, seconds. */
  readonly latency = new HistogramCell(LATENCY_BUCKETS);

  constructor(readonly labels: WorkerLabels) {}

  /** Records the latency of a first attempt; returns the start time for `handlerFinished`. */
  handlerStarted(createdAt: number, attempt: number): number {
    // Retries are left out: their backoff would swamp the queueing delay this shows.
    if (attempt === 1) this.latency.observe(Math.max(0, Date.now() - createdAt) / 1000);
    return performance.now();
  }

  handlerFinished(startedAt: number): void {
    this.duration.observe((performance.now() - startedAt) / 1000);
  }
}
