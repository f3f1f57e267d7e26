import type { BrokenMessage, DeadMessage, QueueMessage } from '../interfaces/queue-message.interface.js';
import type { AckOutcome, DeadItem, RawDelivery, RetryItem } from './message-source.interface.js';
import type { WorkerMetrics } from '../observability/metrics/worker-metrics.js';
import type { ReceivedMessage } from './received-message.js';
import type { ResolvedWorkerOptions } from '../config/worker-options.js';

/** The bound methods of one worker instance. @internal */
export interface WorkerHandlers {
  message: (message: QueueMessage) => unknown;
  broken?: (message: BrokenMessage) => unknown;
  dead?: (message: DeadMessage) => unknown;
}

/** A discovered, validated worker: what the explorer hands to the registry. @internal */
export interface WorkerDefinition {
  /** The class name, for logs and errors. */
  readonly name: string;
  readonly options: ResolvedWorkerOptions;
  readonly handlers: WorkerHandlers;
  /** The worker's metric cells; absent while metrics are off. Set when its consumer is built. */
  readonly metrics?: WorkerMetrics;
  /** False when `tracing.enabled` is false: no process spans. Set when its consumer is built. */
  readonly tracing?: boolean;
}

/** One message this consumer holds: from delivery until its outcome is written. @internal */
export interface InFlight {
  readonly raw: RawDelivery;
  /** `raw.entryId`, here too so the record itself is the acknowledgement item. */
  readonly entryId: string;
  /** Envelope id, once decoded ('' before, or when unreadable). */
  id: string;
  /** A handler or hook for it is running (it occupies a concurrency slot). */
  running: boolean;
  /** 'queued' once an outcome (ack, retry, dead) waits to be written; 'none' leaves it pending. */
  outcome: 'none' | 'queued';
  /** Shutdown gave up on it: whatever its handler does next is ignored; it stays pending. */
  abandoned: boolean;
  /** The message given to the handler or @OnDead, so shutdown can abort its signal. */
  message?: ReceivedMessage;
  /** Settles when its processing ends. */
  done?: Promise<void>;
}

/** Where the processor sends outcomes; the consumer batches them into few script calls. @internal */
export interface OutcomeSink {
  ack(entry: InFlight, outcome: AckOutcome, id: string): void;
  retry(entry: InFlight, item: RetryItem): void;
  dead(entry: InFlight, item: DeadItem): void;
  /** A failure that is neither retried nor dead-lettered (noAck). */
  failedWithoutRetry(): void;
}
