import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import type { QueueTransport } from './queue-transport.interface.js';

/** A class whose instances class-transformer builds and class-validator checks (a payload DTO). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type DtoClass<T extends object = object> = new (...args: any[]) => T;

/** Retry delay settings: a fixed delay, or one that doubles per attempt up to `maxDelay`. */
export interface BackoffOptions {
  /** `fixed`: always `delay`; `exponential`: `delay * 2^(attempt - 1)`, capped at `maxDelay`. */
  type: 'fixed' | 'exponential';
  /** Base delay in ms. */
  delay: number;
  /** Upper bound of an exponential delay, in ms. @default 600000 (10 min) */
  maxDelay?: number;
  /**
   * Fraction (0..1) by which each delay is randomly shortened, so retries of messages that failed
   * together spread out. `0.2` turns 10 s into 8–10 s. @default 0
   */
  jitter?: number;
}

/**
 * Delay (ms) before retry number `attempt` (the attempt that just failed, 1-based) of a message
 * that failed with `error`. Throwing or returning something that is not a finite number >= 0 falls
 * back to the default exponential backoff (logged).
 */
export type BackoffFunction = (attempt: number, error: Error) => number;

/**
 * How long to wait before a retry, measured from the failure: a number of ms (fixed), the
 * settings of a fixed or exponential backoff, or a function of the attempt and the error.
 * @default { type: 'exponential', delay: 1000, maxDelay: 600000, jitter: 0 }
 */
export type Backoff = number | BackoffOptions | BackoffFunction;

/** Where a worker reads its messages from. */
export type WorkerTransport = QueueTransport;

/**
 * Worker settings that can be given once for every worker of the app (`worker` in the module
 * options) and overridden per worker in `@QueueWorker(queue, options)`.
 */
export interface WorkerDefaults {
  /**
   * Consumer group. Instances of one app share a group (each message is handled once per group);
   * another app reading the same queue uses its own group and gets every message too.
   * @default 'default'
   */
  group?: string;
  /** Handler calls running at once per worker instance. @default 1 */
  concurrency?: number;
  /** Most messages fetched per read (never more than the free concurrency slots). @default 100 */
  batchSize?: number;
  /** Retries after the first attempt: the handler runs at most `maxRetries + 1` times. @default 3 */
  maxRetries?: number;
  /** Delay before each retry. @default { type: 'exponential', delay: 1000, maxDelay: 600000 } */
  backoff?: Backoff;
  /**
   * Per-attempt time limit in ms: when it passes, `msg.signal` aborts and the attempt counts as a
   * failure. No timer is armed when unset. @default undefined (no limit)
   */
  timeout?: number;
  /**
   * A pending message idle this long (ms) belongs to a consumer presumed dead and is reclaimed by a
   * live one. Running handlers keep their messages fresh, so they are never reclaimed. @default 30000
   */
  claimIdle?: number;
  /** Delete the stream entry when it is acknowledged (refused when the stream has several groups). @default false */
  deleteOnAck?: boolean;
  /**
   * Without `deleteOnAck`, trim the stream (XTRIM MINID ~) below what every consumer group has
   * received and acknowledged, every `claimIdle / 2`; pending and undelivered entries are never
   * dropped. Turn off to keep acknowledged entries (e.g. a stream also read as a log). @default true
   */
  trimAcked?: boolean;
  /** Skip messages already processed successfully (a marker per message id, written after success). @default false */
  idempotent?: boolean;
  /** How long (ms) an `idempotent` worker remembers a processed id. @default 86400000 (24 h) */
  processedTtl?: number;
  /** How long (ms) shutdown waits for running handlers before aborting them. @default 10000 */
  shutdownTimeout?: number;
  /** Other consumers of the group idle this long (ms) with nothing pending are removed; 0 disables. @default 3600000 (1 h) */
  consumerIdleCleanup?: number;
  /**
   * Longest wait (ms) of one blocking read: an idle worker sends about one command per this
   * interval. Shutdown and pause interrupt a blocked read, so a long wait costs nothing. @default 10000
   */
  blockTimeout?: number;
  /** Approximate cap on the dead-letter stream (`XADD MAXLEN ~`). @default 100000 */
  deadLetterMaxLen?: number;
  /** Copy expired messages to the dead-letter stream (reason `expired`); when false they are only acked and counted. @default true */
  deadLetterExpired?: boolean;
  /**
   * Store the error's stack trace in a dead letter (field `stack`, reason `dead` only). Turn off to
   * keep the app's file paths out of the dead-letter stream; logs still carry the stack. @default true
   */
  deadLetterStack?: boolean;
  /** Start consuming on application bootstrap; when false, start it through `WorkerRegistry`. @default true */
  autoStart?: boolean;
  /**
   * Payload decoder, the counterpart of the senders' `codec`. A payload it cannot decode is a
   * broken message. @default JSON (`JSON_CODEC`)
   */
  codec?: PayloadCodec;
}

/** Options of `@QueueWorker(queue, options)`. Anything unset falls back to the module's `worker` defaults. */
export interface WorkerOptions extends WorkerDefaults {
  /**
   * Consumer name, unique per process. Give a stable name only if one process owns it: on start,
   * that process first re-handles what it left pending. @default POD_NAME, else POD_IP, else `<host>-<pid>-<random>`
   */
  consumer?: string;
  /**
   * Where messages are read from: the queue's stream through a consumer group, or its list
   * (valkeysender-compatible, `LPUSH` in): each consumer moves messages into its own in-flight list
   * (`BLMOVE`) and removes them when done; a dead consumer's in-flight list is returned to the queue
   * when its heartbeat expires. Same retries, dead letters and idempotency. A list worker refuses
   * `deleteOnAck`, `noAck` and `group` (lists have no consumer groups: consumers compete).
   * @default 'stream'
   */
  transport?: WorkerTransport;
  /**
   * List transport only: the key to consume, the counterpart of the senders' `queueNamer`, e.g.
   * `(queue) => \`queue:${queue}\`` for valkeysender's list names. On Valkey Cluster the key must
   * contain the queue's hash tag (`{<prefix>:<queue>}`). Retries are promoted onto this key.
   * @default the key layout's `{<prefix>:<queue>}:list`
   */
  queueNamer?: (queue: string) => string;
  /**
   * A DTO class: each payload is turned into an instance (class-transformer) and validated
   * (class-validator). A payload that fails is a broken message, never retried.
   */
  payload?: DtoClass;
  /**
   * Read with NOACK: a message is never pending, so a failure or a crash loses it (at-most-once).
   * Failures are logged and counted, never retried or dead-lettered. @default false
   */
  noAck?: boolean;
  /**
   * How a worker picks among message priorities (`SendOptions.priority`) when several are waiting:
   * `'strict'` always takes the highest non-empty priority first (a steady flood of high priorities
   * holds the low ones back); `{ weighted: true }` gives every non-empty priority a share of the
   * reads proportional to priority + 1 (priority 10 gets 11 times the share of priority 0), so low
   * priorities keep moving. Within one priority, first in first out. docs/workers.md, "Priorities".
   * @default 'strict'
   */
  priorityPolicy?: PriorityPolicy;
  /**
   * Most ordering keys this instance works on at once (messages sent with an `orderingKey`, one
   * message per key at a time across all instances; docs/ordering.md). Ordered and unordered
   * handlers share `concurrency`. 0 turns ordered consumption off for this worker. Stream transport.
   * @default concurrency
   */
  orderedConcurrency?: number;
  /**
   * What a dead message (retries exhausted) means for the later messages of its ordering key:
   * `'continue'` runs the next one; `'park'` holds the key, later messages kept, until
   * `QueueAdmin.releaseOrderingKey(queue, key)`. @default 'continue'
   */
  orderedOnDead?: 'continue' | 'park';
}

/** `WorkerOptions.priorityPolicy`: strict priority order, or shares weighted by priority + 1. */
export type PriorityPolicy = 'strict' | { weighted: true };
