import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { QueueHealthIndicator, ValkeyHealthIndicator } from 'nestjs-valkey-queue';
import { SAMPLE_QUEUES } from '../registrations/registrations.constants.js';

/** `GET /health`: Valkey reachability, queue depths and the senders' circuit breaker. */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly valkey: ValkeyHealthIndicator,
    private readonly queues: QueueHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.valkey.isHealthy('valkey', { timeout: 500 }),
      () =>
        this.queues.isHealthy('queues', {
          queues: [...SAMPLE_QUEUES],
          maxLag: 60_000,
          maxDeadLetters: 1_000,
        }),
    ]);
  }
}
