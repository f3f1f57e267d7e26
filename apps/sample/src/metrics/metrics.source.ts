import { Injectable } from '@nestjs/common';
import { ValkeyQueueMetrics } from 'nestjs-valkey-queue';

/** What `GET /metrics` serves: this instance's metrics; the demo serves the sum over its instances. */
export abstract class MetricsSource {
  abstract exposition(): Promise<string>;
}

/** This instance's registry, as a Prometheus scrape of one replica expects. */
@Injectable()
export class OwnMetrics extends MetricsSource {
  constructor(private readonly metrics: ValkeyQueueMetrics) {
    super();
  }

  exposition(): Promise<string> {
    return this.metrics.metrics();
  }
}
