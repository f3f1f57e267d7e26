import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { QueueAdmin } from './admin/queue-admin.service.js';
import { validateOptions, type ResolvedValkeyQueueOptions } from './config/validate-options.js';
import { ValkeyConnection } from './connection/valkey-connection.js';
import { DelayedPromoter } from './delayed/delayed-promoter.js';
import { QueueSignals } from './signals/queue-signals.js';
import { QueueScheduler } from './scheduler/queue-scheduler.service.js';
import { ScheduledExplorer } from './scheduler/scheduled.explorer.js';
import { QueueSender } from './sender/queue-sender.service.js';
import { SenderFactory } from './sender/sender-factory.js';
import { ValkeyQueueSenderModule } from './sender/sender-feature.module.js';
import type { RegisterSenderOptions } from './interfaces/sender-options.interface.js';
import { SenderResilience } from './sender/sender-resilience.js';
import { SenderStatus } from './sender/sender-status.js';
import {
  BOOTSTRAP_CLEANUP,
  VALKEY_QUEUE_CLIENT,
  VALKEY_QUEUE_RESOLVED_OPTIONS,
} from './valkey-queue.constants.js';
import { ConfigurableModuleClass, VALKEY_QUEUE_OPTIONS } from './valkey-queue.module-definition.js';
import { WorkerExplorer } from './workers/worker.explorer.js';
import { WorkerMetadataAccessor } from './workers/worker-metadata.accessor.js';
import { WorkerOrchestrator } from './workers/worker.orchestrator.js';
import { WorkerRegistry } from './workers/worker.registry.js';
import { OwnershipFence } from './ownership/ownership-fence.js';
import { StreamOwnershipService } from './ownership/stream-ownership.service.js';
import {
  METRICS_FEEDS,
  ValkeyQueueMetrics,
  type MetricsFeeds,
} from './observability/valkey-queue-metrics.service.js';
import { FailedBootstrapCleanup } from './lifecycle/failed-bootstrap-cleanup.js';
import { QueueHistory } from './history/queue-history.service.js';
import { useHistoryScripts } from './lua/lua-scripts.js';

/**
 * The root module: `ValkeyQueueModule.forRoot(options)` or `.forRootAsync({ useFactory, inject,
 * imports } | { useClass } | { useExisting })`. Global by default (`isGlobal: false` to opt out).
 * Options are validated at bootstrap, and the server must answer within `connectTimeout` unless
 * `connection.lazyConnect` is set.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: VALKEY_QUEUE_RESOLVED_OPTIONS, useFactory: validateOptions, inject: [VALKEY_QUEUE_OPTIONS] },
    {
      provide: ValkeyConnection,
      useFactory: async (options: ResolvedValkeyQueueOptions) => {
        const connection = await ValkeyConnection.open(options.connection);
        if (options.history)
          useHistoryScripts(connection.client, { payloads: options.history.payloads !== 'none' });
        return connection;
      },
      inject: [VALKEY_QUEUE_RESOLVED_OPTIONS],
    },
    {
      provide: VALKEY_QUEUE_CLIENT,
      useFactory: (connection: ValkeyConnection) => connection.client,
      inject: [ValkeyConnection],
    },
    QueueSignals,
    DelayedPromoter,
    QueueScheduler,
    ScheduledExplorer,
    QueueAdmin,
    SenderResilience,
    SenderStatus,
    SenderFactory,
    QueueSender,
    WorkerMetadataAccessor,
    WorkerRegistry,
    WorkerExplorer,
    WorkerOrchestrator,
    StreamOwnershipService,
    OwnershipFence,
    ValkeyQueueMetrics,
    {
      provide: METRICS_FEEDS,
      useFactory: (resilience: SenderResilience, workers: WorkerRegistry): MetricsFeeds => ({
        breaker: () => resilience.state,
        consumedQueues: () => workers.definitions().map((definition) => definition.options.queue),
      }),
      inject: [SenderResilience, WorkerRegistry],
    },
    { provide: BOOTSTRAP_CLEANUP, useClass: FailedBootstrapCleanup },
    QueueHistory,
  ],
  exports: [
    VALKEY_QUEUE_CLIENT,
    VALKEY_QUEUE_RESOLVED_OPTIONS,
    ValkeyConnection,
    DelayedPromoter,
    QueueScheduler,
    QueueAdmin,
    SenderStatus,
    SenderFactory,
    QueueSender,
    WorkerRegistry,
    StreamOwnershipService,
    OwnershipFence,
    ValkeyQueueMetrics,
    QueueHistory,
  ],
})
export class ValkeyQueueModule extends ConfigurableModuleClass {
  /**
   * A sender bound to the queue `name`, with its own options over the module's `sender` defaults,
   * injected with `@InjectSender(name)`. Needs `forRoot`/`forRootAsync` (global, the default) in the
   * app. Invalid options throw `InvalidOptionsError` here, at import time.
   *
   * @example
   * imports: [ValkeyQueueModule.registerSender({ name: 'emails', transport: 'list', ttl: 60_000 })]
   */
  static registerSender(options: RegisterSenderOptions): DynamicModule {
    return ValkeyQueueSenderModule.register(options);
  }
}
