import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import type { BreakerState } from '../interfaces/sender-options.interface.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { loadPromClient } from './metrics/load-prom-client.js';
import type { MetricsRegistry } from '../interfaces/metrics-options.interface.js';
import { QueueMetrics } from './metrics/queue-metrics.js';
import { SenderMetrics } from './metrics/sender-metrics.js';
import type { WorkerLabels, WorkerMetrics } from './metrics/worker-metrics.js';

/**
 * What the queue gauges read from the rest of the module, wired by ValkeyQueueModule: the senders'
 * breaker and the queues this instance consumes. A token rather than the services themselves, so
 * that observability stays below the senders and workers it observes. @internal
 */
export const METRICS_FEEDS = 'VALKEY_QUEUE_METRICS_FEEDS';

/** @internal */
export interface MetricsFeeds {
  breaker(): BreakerState;
  consumedQueues(): string[];
}

/** The Prometheus text format's Content-Type (prom-client's default registry type). */
const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * The module's Prometheus metrics (`forRoot({ metrics: { enabled: true } })`): counters of what
 * senders, workers and schedules did, handler duration and end-to-end latency histograms, and queue
 * gauges read from Valkey when scraped. Injectable anywhere; serve `metrics()` on your `/metrics`
 * route. While metrics are off it loads and creates nothing: `enabled` is false, `metrics()` is empty.
 *
 * @example
 * @Get('metrics') @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
 * scrape(): Promise<string> { return this.queueMetrics.metrics(); }
 */
@Injectable()
export class ValkeyQueueMetrics implements OnModuleInit, OnModuleDestroy {
  /** Sender counters, shared by every sender of the module; undefined while off. @internal */
  readonly sender: SenderMetrics | undefined;
  private set: QueueMetrics | undefined;

  constructor(
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    private readonly connection: ValkeyConnection,
    @Inject(METRICS_FEEDS) private readonly feeds: MetricsFeeds,
  ) {
    // Plain cells, ready before any sender exists; the registry side is built in onModuleInit.
    if (options.metrics.enabled) this.sender = new SenderMetrics();
  }

  /**
   * Loads prom-client (only now, and only when enabled) and registers the metrics. A missing
   * package (`MissingDependencyError`) or taken names (`InvalidOptionsError`) fail the app's init.
   */
  async onModuleInit(): Promise<void> {
    const { metrics, prefix, connection } = this.options;
    if (!metrics.enabled || this.set) return;
    const prom = await loadPromClient();
    this.set = new QueueMetrics(
      prom,
      metrics,
      {
        client: this.connection.client,
        keyPrefix: prefix,
        breaker: () => this.feeds.breaker(),
        timeoutMs: connection.commandTimeout,
      },
      () => this.feeds.consumedQueues(),
      this.sender,
    );
  }

  /** Whether metrics are collected (`metrics.enabled`). */
  get enabled(): boolean {
    return this.options.metrics.enabled;
  }

  /** The registry holding the metrics (`metrics.registry` if you gave one); undefined while off. */
  get registry(): MetricsRegistry | undefined {
    return this.set?.registry as MetricsRegistry | undefined;
  }

  /** The Content-Type to serve `metrics()` with. */
  get contentType(): string {
    return this.set?.registry.contentType ?? PROMETHEUS_CONTENT_TYPE;
  }

  /**
   * Every metric of the registry in the exposition format (with your own, if the registry is
   * shared). Reads the queue gauges from Valkey first: one round trip. Empty while off.
   */
  async metrics(): Promise<string> {
    return this.set ? this.set.registry.metrics() : '';
  }

  /** The cells of a worker being built (at application bootstrap); undefined while off. @internal */
  worker(labels: WorkerLabels): WorkerMetrics | undefined {
    return this.set?.worker(labels);
  }

  /** A schedule fired `ticks` ticks on this instance. @internal */
  scheduleFired(queue: string, schedule: string, ticks: number): void {
    this.set?.scheduleFired(queue, schedule, ticks);
  }

  /** Takes the module's metrics out of the registry, so an app created later can register them again. */
  onModuleDestroy(): void {
    this.set?.close();
    this.set = undefined;
  }
}
