import type { INestApplication } from '@nestjs/common';
import { ValkeyQueueMetrics } from 'nestjs-valkey-queue';
import {
  AggregatorRegistry,
  type MetricObjectWithValues,
  type MetricValue,
  type Registry,
} from 'prom-client';
import { MetricsSource } from '../metrics/metrics.source.js';

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

// prom-client types `type` as a numeric enum, but its registries write the exposition names.
const isGauge = (metric: { type: unknown }): boolean => metric.type === 'gauge';

/**
 * `GET /metrics` of the demo: the counters and histograms of every instance it ran, summed (a
 * closed instance's as they were when it closed), and the queue gauges as the live instances read
 * them from Valkey (queue-wide values, so taken once, not summed).
 */
export class DemoMetrics extends MetricsSource {
  private readonly live = new Set<INestApplication>();
  private readonly retired: MetricsJson[] = [];

  add(app: INestApplication): void {
    this.live.add(app);
  }

  /** Keeps what the instance counted; call it just before closing the app. */
  async retire(app: INestApplication): Promise<void> {
    if (!this.live.delete(app)) return;
    const registry = this.registryOf(app);
    if (registry) this.retired.push((await registry.getMetricsAsJSON()).filter((metric) => !isGauge(metric)));
  }

  async exposition(): Promise<string> {
    const registries = [...this.live].map((app) => this.registryOf(app));
    const current = await Promise.all(registries.map((registry) => registry?.getMetricsAsJSON() ?? []));
    const liveOnes: MetricsJson[] = current.map((metrics) =>
      metrics.map((metric) => (isGauge(metric) ? { ...metric, aggregator: 'first' } : metric)),
    );
    return AggregatorRegistry.aggregate([...liveOnes, ...this.retired]).metrics();
  }

  private registryOf(app: INestApplication): Registry | undefined {
    return app.get(ValkeyQueueMetrics).registry as Registry | undefined;
  }
}
