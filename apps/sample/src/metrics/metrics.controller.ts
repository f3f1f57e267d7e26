import { Controller, Get, Header, NotFoundException } from '@nestjs/common';
import { ValkeyQueueMetrics } from 'nestjs-valkey-queue';
import { MetricsSource } from './metrics.source.js';

/** `GET /metrics`: the queue metrics in the Prometheus text format, for a Prometheus scrape job. */
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: ValkeyQueueMetrics,
    private readonly source: MetricsSource,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async scrape(): Promise<string> {
    if (!this.metrics.enabled)
      throw new NotFoundException('metrics are off (VALKEY_QUEUE_METRICS_ENABLED=false)');
    return this.source.exposition();
  }
}
