import type { PayloadCodec } from '../codec/payload-codec.interface.js';
import type { Envelope } from '../envelope/envelope.js';
import type { SendResult } from './send-options.interface.js';

/** Where a queue's messages go: a stream (consumer groups) or a list (LPUSH). */
export type SenderTransport = 'stream' | 'list';

/** How a list-transport sender encodes its elements. */
export type ListFormat = 'envelope' | 'valkeysender';

/**
 * Token bucket of one sender, per process: `perSecond` tokens a second, at most `burst` saved up.
 * A send takes one token, a batch one per message; without a token the send waits. Off unless the
 * sender's `rateLimit` is set.
 */
export interface RateLimitOptions {
  /** Sustained sends per second. @default 1000 */
  perSecond?: number;
  /** Bucket size: sends allowed at once after a quiet period. @default 2000 */
  burst?: number;
  /** Longest wait for a token in ms, within the send's `timeout`. @default the send's `timeout` */
  maxWait?: number;
}

/** Exponential backoff with jitter between retries of connection-level failures. */
export interface RetryBackoffOptions {
  /** First delay in ms. @default 100 */
  initialDelay?: number;
  /** Upper bound of a delay in ms. @default 2000 */
  maxDelay?: number;
}

/**
 * The circuit breaker shared by every sender of the module. Only connection-level failures count
 * (never invalid input, serialization or aborts). While open, sends reject at once with
 * `QueueUnavailableError` and issue no command; after `halfOpenAfter` one probe send decides.
 */
export interface CircuitBreakerOptions {
  /**
   * `consecutive`: open after `threshold` failures in a row. `ratio`: open when more than
   * `threshold` (between 0 and 1, exclusive) of the calls within `window` failed. @default 'consecutive'
   */
  mode?: 'consecutive' | 'ratio';
  /** Failures in a row (`consecutive`, @default 4) or failed share (`ratio`, @default 0.5). */
  threshold?: number;
  /** Sampling window of the `ratio` mode, in ms. @default 30000 */
  window?: number;
  /** `ratio` mode: below this many calls per second the breaker never opens; 0 for no minimum. @default 5 */
  minimumRps?: number;
  /** How long the breaker stays open before a probe send is let through, in ms. @default 60000 */
  halfOpenAfter?: number;
}

/**
 * Replication acknowledgement of every send: after the write, in the same round trip (and on the same
 * Cluster node), `WAIT replicas timeout`. A send resolves only once `replicas` replicas have the
 * messages; otherwise it rejects with `InsufficientReplicasError` (the messages are on the primary).
 * This is what makes "acknowledged to the sender" survive a failover to a replica. Costs a round trip
 * to the replicas on every send: see docs/scale-out.md.
 */
export interface DurabilityOptions {
  /** Replicas that must confirm each write (1 to 100). */
  replicas: number;
  /** How long to wait for them, in ms; less than the send `timeout` and `connection.commandTimeout`. */
  timeout: number;
}

/** Success and error callbacks. A throwing hook is logged and swallowed; it never fails a send. */
export interface SenderHooks {
  /** After each message is written (once per message of a batch; not for deduplicated sends). */
  onSent?: (result: SendResult, envelope: Readonly<Envelope>) => void;
  /** When a send or batch call rejects (once per call, after retries). */
  onError?: (error: Error, queue: string) => void;
}

/** What one sender does: the options of `registerSender()` and the module-wide `sender` defaults. */
export interface SenderOptions extends SenderHooks {
  /** Stream (XADD, default) or list (LPUSH, valkeysender-compatible). @default 'stream' */
  transport?: SenderTransport;
  /**
   * The key a queue's messages are appended to, e.g. `(queue) => \`queue:${queue}\`` to keep
   * valkeysender's list names. On Valkey Cluster the name must contain the queue's hash tag
   * (`{<prefix>:<queue>}`), or its scripts fail; delayed sends need the default names.
   * @default the key layout's `{<prefix>:<queue>}:stream` / `:list`
   */
  queueNamer?: (queue: string) => string;
  /**
   * The list element's format (list transport only): this library's envelope, or valkeysender's
   * (base64 payload, RFC 3339 timestamp, nanosecond TTL) for existing consumers of that format.
   * List workers read both. @default 'envelope'
   */
  listFormat?: ListFormat;
  /** Payload encoder. @default JSON (`JSON_CODEC`) */
  codec?: PayloadCodec;
  /** Largest encoded payload, in UTF-8 bytes. @default 1048576 (1 MiB) */
  maxPayloadBytes?: number;
  /** Messages per script call in `sendBatch()`; each chunk is all-or-nothing. @default 1000 */
  chunkSize?: number;
  /** Deadline of one send call in ms (token wait, attempts, retries). @default 10000 */
  timeout?: number;
  /**
   * How long a send call's "already written" marker lives, in ms, so a retried call appends at
   * most once. 0 turns the markers off (a retry after an ambiguous failure may then duplicate).
   * @default 60000
   */
  idempotencyWindow?: number;
  /** Default `dedupTtl` of sends with a `dedupKey`, in ms. @default 3600000 (1 hour) */
  dedupTtl?: number;
  /** Default time to live of every message, in ms. @default none */
  ttl?: number;
  /** Headers added to every message (a send's own headers win). @default {} */
  headers?: Record<string, string>;
  /**
   * Stream only: trim the stream to about this many entries on each send (`XTRIM MAXLEN ~`).
   * Trimming drops the oldest entries even if no worker has read them. @default none
   */
  maxLen?: number;
  /** Stream only: trim entries older than this many ms on each send (`XTRIM MINID ~`). @default none */
  maxAge?: number;
  /** Retries after the first attempt, for connection-level failures only. @default 3 */
  maxRetries?: number;
  /** Backoff between those retries. */
  retryBackoff?: RetryBackoffOptions;
  /**
   * Token-bucket rate limit, or `false` for none. Off unless set; an object turns it on, its
   * `perSecond` and `burst` defaulting to 1000 and 2000 (valkeysender's values). @default false
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Wait for replicas to confirm every write (`WAIT`), or `false` for none (turns a module default off).
   * @default none (the primary's reply is the acknowledgement)
   */
  durability?: DurabilityOptions | false;
}

/** `ValkeyQueueModule.forRoot({ sender })`: defaults of every sender, plus module-wide settings. */
export interface SenderDefaults extends SenderOptions {
  /** The circuit breaker shared by all senders, or `false` for none. */
  circuitBreaker?: CircuitBreakerOptions | false;
  /** Sliding window of `SenderStatus` (error ratio, healthy/degraded/unhealthy), in ms. @default 60000 */
  statusWindow?: number;
}

/** `ValkeyQueueModule.registerSender()`: a sender bound to one queue, injected with `@InjectSender(name)`. */
export interface RegisterSenderOptions extends SenderOptions {
  /** The queue name, also the injection name. */
  name: string;
}

/** State of the senders' circuit breaker. `disabled` when `circuitBreaker: false`. */
export type BreakerState = 'closed' | 'open' | 'half-open' | 'disabled';
