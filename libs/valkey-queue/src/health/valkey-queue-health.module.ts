import { Module } from '@nestjs/common';
import { TerminusBridgeModule, terminusBridge } from './load-terminus.js';
import { QueueHealthIndicator } from './queue.health.js';
import { ValkeyHealthIndicator } from './valkey.health.js';
import { HistoryHealthIndicator } from './history.health.js';

/**
 * Health indicators for `@nestjs/terminus`. Import it next to `ValkeyQueueModule.forRoot...()`,
 * then inject `HealthCheckService`, `ValkeyHealthIndicator` and `QueueHealthIndicator` in a controller.
 * Needs the optional peer `@nestjs/terminus`: without it, bootstrap fails with `MissingDependencyError`.
 */
@Module({
  imports: [terminusBridge()],
  providers: [ValkeyHealthIndicator, QueueHealthIndicator, HistoryHealthIndicator],
  exports: [TerminusBridgeModule, ValkeyHealthIndicator, QueueHealthIndicator, HistoryHealthIndicator],
})
export class ValkeyQueueHealthModule {}
