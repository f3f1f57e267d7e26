import { Logger } from '@nestjs/common';
import type { Counter, Registry } from 'prom-client';
import { InvalidOptionsError } from '../../errors/invalid-options.error.js';
import type { PromClient } from './load-prom-client.js';
import { CellHistogram, CounterCell, type HistogramCell, type Labels } from './metric-cells.js';
import type { ResolvedMetricsOptions } from '../../config/metrics-options.schema.js';
import { GAUGE_NAMES, QueueGauges, type GaugeSource } from './queue-gauges.js';
import { SenderMetrics, type SenderQueueCells } from './sender-metrics.js';
import { WorkerMetrics, type WorkerLabels } from './worker-metrics.js';

type WorkerCounter = 'processed' | 'failed' | 'retried' | 'dead' | 'broken' | 'expired';
type SenderCounter = 'sent' | 'deduplicated' | 'retried' | 'rejected';

const WORKER_COUNTERS: Record<WorkerCounter, [name: string, help: string]> = {
  processed: ['messages_processed_total', 'Messages whose @OnMessage handler succeeded'],
  failed: ['messages_failed_total', 'Failed @OnMessage attempts (threw, rejected or timed out)'],
  retried: ['messages_retried_total', 'Failed attempts scheduled for a retry'],
  dead: ['messages_dead_total', 'Messages dead-lettered: retries exhausted, unrecoverable, or a crash loop'],
  broken: ['messages_broken_total', 'Messages dead-lettered as broken: unreadable or invalid'],
  expired: ['messages_expired_total', 'Messages whose ttl passed before delivery'],
};
const OTHER_NAMES = [
  'send_errors_total',
  'schedule_ticks_total',
  'handler_duration_seconds',
  'message_latency_seconds',
  ...GAUGE_NAMES,
];
const SENDER_COUNTERS: Record<SenderCounter, [name: string, help: string]> = {
  sent: [
    'messages_sent_total',
    'Messages written by senders (each message of a batch; not deduplicated sends)',
  ],
  deduplicated: ['messages_deduplicated_total', 'Sends suppressed by a live dedup key'],
  retried: ['send_retries_total', 'Send attempts retried after connection-level failures'],
  rejected: ['breaker_rejections_total', 'Send calls refused at once because the circuit breaker was open'],
};
/** Every metric name the module registers, in no particular order. @internal */
export const metricNames = (prefix: string): string[] =>
  [
    ...Object.values(WORKER_COUNTERS).map(([name]) => name),
    ...Object.values(SENDER_COUNTERS).map(([name]) => name),
    ...OTHER_NAMES,
  ].map((name) => prefix + name);

/** Scheduled-tick series are few (one per schedule); this only bounds a runaway. */
const MAX_TICK_SERIES = 1_000;

/**
 * The module's Prometheus metrics, created when `metrics.enabled`: counters and histograms over
 * cells the hot paths count into, plus the scrape-time queue gauges. Registered in the configured
 * registry (or one of its own) and removed from it by `close()`. @internal
 */
export class QueueMetrics {
  readonly registry: Registry;
  /** Counters of every sender of the module. */
  readonly sender: SenderMetrics;
  private readonly workers: WorkerMetrics[] = [];
  private readonly ticks = new Map<string, { labels: Labels; cell: CounterCell }>();
  private readonly names: string[] = [];

  constructor(
    prom: PromClient,
    options: ResolvedMetricsOptions,
    gauges: Omit<GaugeSource, 'queues'>,
    workerQueues: () => Iterable<string>,
    sender = new SenderMetrics(),
  ) {
    this.sender = sender;
    this.registry = (options.registry as unknown as Registry | undefined) ?? new prom.Registry();
    const { prefix } = options;
    this.assertFree(prefix);
    const counter = <L extends string>(
      [name, help]: [string, string],
      labelNames: readonly L[],
      series: () => Iterable<[labels: Labels, value: number]>,
    ): void => {
      new prom.Counter<L>({
        name: prefix + name,
        help,
        labelNames,
        registers: [this.registry],
        collect(this: Counter<L>) {
          // Absolute totals from the cells; inc(labels, 0) still creates a zero series.
          this.reset();
          for (const [labels, value] of series()) this.inc(labels as Partial<Record<L, string>>, value);
        },
      });
      this.names.push(prefix + name);
    };
    const histogram = (name: string, help: string, pick: (worker: WorkerMetrics) => HistogramCell): void => {
      const series = () => this.workers.map((worker) => ({ labels: worker.labels, cell: pick(worker) }));
      this.registry.registerMetric(new CellHistogram(prefix + name, help, series) as never);
      this.names.push(prefix + name);
    };

    const workerLabels = ['queue', 'group', 'worker'] as const;
    for (const [key, definition] of Object.entries(WORKER_COUNTERS) as [WorkerCounter, [string, string]][]) {
      counter(definition, workerLabels, () =>
        this.workers.map((worker) => [worker.labels, worker[key].value]),
      );
    }
    for (const [key, definition] of Object.entries(SENDER_COUNTERS) as [SenderCounter, [string, string]][]) {
      counter(definition, ['queue'], () => this.senderSeries((cells) => cells[key].value));
    }
    counter(
      ['send_errors_total', 'Failed send calls (after retries), by error code'],
      ['queue', 'code'],
      () => this.senderErrorSeries(),
    );
    counter(['schedule_ticks_total', 'Schedule ticks fired by this instance'], ['queue', 'schedule'], () =>
      [...this.ticks.values()].map(({ labels, cell }): [Labels, number] => [labels, cell.value]),
    );
    histogram('handler_duration_seconds', 'Run time of @OnMessage handlers', (worker) => worker.duration);
    histogram(
      'message_latency_seconds',
      'From send (envelope createdAt) to the first @OnMessage start; includes any delay',
      (worker) => worker.latency,
    );
    const queueGauges = new QueueGauges(
      prom,
      this.registry,
      prefix,
      {
        ...gauges,
        queues: () => [...workerQueues(), ...this.sender.queueNames()],
      },
      new Logger('ValkeyQueueMetrics'),
    );
    this.names.push(...queueGauges.names);
  }

  /** The cells of one worker, created once when it is built. */
  worker(labels: WorkerLabels): WorkerMetrics {
    const metrics = new WorkerMetrics(labels);
    this.workers.push(metrics);
    return metrics;
  }

  /** Ticks a schedule fired on this instance. */
  scheduleFired(queue: string, schedule: string, ticks: number): void {
    const key = `${queue}\n${schedule}`;
    let entry = this.ticks.get(key);
    if (!entry) {
      if (this.ticks.size >= MAX_TICK_SERIES) return;
      entry = { labels: { queue, schedule }, cell: new CounterCell() };
      this.ticks.set(key, entry);
    }
    entry.cell.inc(ticks);
  }

  /** Removes every metric of the module from the registry (so a new module can register them again). */
  close(): void {
    for (const name of this.names) this.registry.removeSingleMetric(name);
  }

  private *senderSeries(pick: (cells: SenderQueueCells) => number): Iterable<[Labels, number]> {
    for (const [queue, cells] of this.sender.entries()) yield [{ queue }, pick(cells)];
  }

  private *senderErrorSeries(): Iterable<[Labels, number]> {
    for (const [queue, cells] of this.sender.entries()) {
      for (const [code, cell] of cells.errors) yield [{ queue, code }, cell.value];
    }
  }

  /** Refuses a registry that already has one of our names (another module on the same registry). */
  private assertFree(prefix: string): void {
    const taken = metricNames(prefix).find((name) => this.registry.getSingleMetric(name) !== undefined);
    if (taken === undefined) return;
    throw new InvalidOptionsError([
      {
        path: 'metrics.prefix',
        value: prefix,
        expected: [
          `a prefix whose metric names are free in metrics.registry (${taken} is already registered: does another ValkeyQueueModule use this registry?)`,
        ],
      },
    ]);
  }
}
