import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { QueueHealthIndicator } from './queue.health.js';
import { ValkeyHealthIndicator } from './valkey.health.js';

/**
 * Health indicators for `@nestjs/terminus`. Import it next to `ValkeyQueueModule.forRoot...()`,
 * then inject `HealthCheckService`, `ValkeyHealthIndicator` and `QueueHealthIndicator` in a controller.
 */
@Module({
  imports: [TerminusModule],
  providers: [ValkeyHealthIndicator, QueueHealthIndicator],
  exports: [TerminusModule, ValkeyHealthIndicator, QueueHealthIndicator],
})
export class ValkeyQueueHealthModule {}
