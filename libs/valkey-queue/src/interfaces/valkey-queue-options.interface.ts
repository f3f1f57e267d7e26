import type { SenderDefaults } from './sender-options.interface.js';
import type { MetricsOptions } from './metrics-options.interface.js';
import type { TracingOptions } from './tracing-options.interface.js';
import type { OwnershipOptions } from './ownership-options.interface.js';
import type { ConnectionOptions } from './connection-options.interface.js';
import type { WorkerDefaults } from './worker-options.interface.js';
import type { HistoryOptions } from './history-options.interface.js';

/** Delayed messages and schedules. */
export interface SchedulerOptions {
  /**
   * Longest sleep, in ms, of the delayed-message promoter and the scheduler while wake-up signals
   * (Pub/Sub) are unavailable: then a message scheduled by another instance reaches its queue at
   * most this long after it is due. With signals they sleep until the next due time. @default 1000
   */
  pollInterval?: number;
  /** Due messages moved per script call, so no single script runs long. @default 100 */
  promoteBatchSize?: number;
}

/**
 * Options of `ValkeyQueueModule.forRoot()` / `forRootAsync()`. Validated at bootstrap: a wrong
 * value fails startup with one `InvalidOptionsError` listing every invalid field.
 */
export interface ValkeyQueueOptions {
  /** The server to use. */
  connection: ConnectionOptions;
  /**
   * Namespace of every key this module writes, so several apps can share one server.
   * Letters, digits and `_ - . :`; no braces (they would break the cluster hash tag).
   * @default 'vq'
   */
  prefix?: string;
  /** Delayed messages and schedules. */
  scheduler?: SchedulerOptions;
  /** Defaults of every sender (`QueueSender` and `registerSender()`), and the shared circuit breaker. */
  sender?: SenderDefaults;
  /** Defaults of every `@QueueWorker` (each worker's own options override them). */
  worker?: WorkerDefaults;
  /** Stream ownership (`StreamOwnershipService`); the service is inert without it. */
  ownership?: OwnershipOptions;
  /** Prometheus metrics (needs the optional `prom-client` package); off by default. */
  metrics?: MetricsOptions;
  /** OpenTelemetry spans: on while an SDK is registered, unless `enabled: false`. */
  tracing?: TracingOptions;
  /** Task history in PostgreSQL (docs/history.md). Off unless given. */
  history?: HistoryOptions;
}
