// The public entry point of `nestjs-valkey-queue`. Anything not exported here is internal.
export { ValkeyQueueModule } from './valkey-queue.module.js';
export { QueueAdmin } from './admin/queue-admin.service.js';
export type * from './interfaces/dead-letter.interface.js';
export type * from './interfaces/queue-stats.interface.js';
export type { ValkeyQueueExtras, ValkeyQueueOptionsFactory } from './valkey-queue.module-definition.js';
export { VALKEY_QUEUE_OPTIONS } from './valkey-queue.module-definition.js';
export { VALKEY_QUEUE_CLIENT } from './valkey-queue.constants.js';
export * from './decorators/index.js';
export type * from './interfaces/queue-message.interface.js';
export type * from './interfaces/queue-worker-handle.interface.js';
export type * from './interfaces/worker-options.interface.js';
export { WorkerRegistry } from './workers/worker.registry.js';
export type * from './interfaces/connection-options.interface.js';
export type * from './interfaces/valkey-queue-options.interface.js';
export { loadValkeyQueueOptionsFromEnv } from './config/load-options-from-env.js';
export { parseDuration } from './config/env-parsers.js';
export { ValkeyConnection } from './connection/valkey-connection.js';
export { DelayedPromoter } from './delayed/delayed-promoter.js';
export type { QueueTransport } from './interfaces/queue-transport.interface.js';
export { QueueScheduler, SCHEDULE_HEADER, TICK_HEADER } from './scheduler/queue-scheduler.service.js';
export type { CatchUpPolicy, ScheduleDefinition, ScheduleInfo } from './interfaces/schedule.interface.js';
export type { ValkeyClient } from './connection/create-client.js';
export * from './errors/index.js';
export { QueueSender } from './sender/queue-sender.service.js';
export { BoundQueueSender } from './sender/bound-queue-sender.js';
export { SenderStatus } from './sender/sender-status.js';
export type { SenderCounters, SenderHealth, SenderStatusSnapshot } from './sender/sender-status.js';
export type { BreakerState } from './interfaces/sender-options.interface.js';
export { getSenderToken } from './valkey-queue.constants.js';
export type * from './interfaces/send-options.interface.js';
export type * from './interfaces/sender-options.interface.js';
export { JSON_CODEC } from './codec/json.codec.js';
export type { Envelope } from './envelope/envelope.js';
export type { PayloadCodec } from './codec/payload-codec.interface.js';
export { TimeoutError } from './utils/with-timeout.util.js';
export { StreamOwnershipService } from './ownership/stream-ownership.service.js';
export { OwnershipFence, ASSERT_OWNER_LUA, type FenceKeys } from './ownership/ownership-fence.js';
export type * from './ownership/ownership-event.interface.js';
export type { OwnershipOptions } from './interfaces/ownership-options.interface.js';
export * from './health/index.js';
export { ValkeyQueueMetrics } from './observability/valkey-queue-metrics.service.js';
export type { MetricsOptions, MetricsRegistry } from './interfaces/metrics-options.interface.js';
export type { TracingOptions } from './interfaces/tracing-options.interface.js';
export type * from './interfaces/peek.interface.js';
export { QueueHistory, HistoryNotConfiguredError } from './history/queue-history.service.js';
export type {
  HistoryPage,
  HistoryRecord,
  HistorySearch,
  HistoryState,
  HistoryTimelineEvent,
} from './history/history-record.interface.js';
export type {
  HistoryOptions,
  HistoryPool,
  HistoryPostgresOptions,
} from './interfaces/history-options.interface.js';
