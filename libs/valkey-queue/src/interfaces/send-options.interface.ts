/**
 * Per-call options of `QueueSender.send()` / `sendBatch()`. Every field is checked before anything
 * is written: a wrong type or value rejects with `InvalidSendOptionsError`.
 */
export interface SendOptions {
  /** Deliver no earlier than this many ms from now (server clock). Must be > 0. */
  delay?: number;
  /** Deliver at this time. A time in the past sends at once. Not together with `delay`. */
  at?: Date;
  /**
   * Time to live in ms, from the send: a worker never hands the message to `@OnMessage` after
   * `createdAt + ttl` (it is recorded as expired instead). No key ever gets a TTL.
   * @default the sender's `ttl` (none)
   */
  ttl?: number;
  /**
   * Deduplication key: within `dedupTtl` only the first send with this key appends; later ones
   * write nothing and resolve `{ deduplicated: true, id: <first id> }`. `send()` only.
   */
  dedupKey?: string;
  /** How long a `dedupKey` blocks duplicates, in ms. @default the sender's `dedupTtl` (1 hour) */
  dedupTtl?: number;
  /**
   * Priority, a whole number from 0 to 10: higher is handled sooner, first in first out within one
   * priority. Kept through delay, retries, crash recovery and redrive. Another value rejects with
   * `InvalidSendOptionsError` (nothing is written). @default 0
   */
  priority?: number;
  /** String headers carried with the message (trace context, correlation ids). Merged over the sender's. */
  headers?: Record<string, string>;
  /**
   * Labels carried with the message (`msg.labels`, dead letters, admin filters): at most 16 pairs,
   * keys of 1-64 characters from `[a-z0-9_.-]`, string values of at most 256 UTF-8 bytes. Never
   * used as metric labels. @default none (`msg.labels` is `{}`)
   */
  labels?: Record<string, string>;
  /**
   * Messages with the same ordering key are handled strictly one at a time, in send order, across
   * every worker instance of the group; other keys (and unordered messages) run in parallel.
   * A non-empty string of at most 256 UTF-8 bytes; stream transport only; not with a `priority`.
   * See docs/ordering.md. @default none (unordered)
   */
  orderingKey?: string;
  /**
   * Aborts the send: while waiting for a rate-limit token it rejects with `RateLimitedError`;
   * later it rejects with the signal's reason (the write may already have landed).
   */
  signal?: AbortSignal;
  /** Deadline of the whole call in ms: token wait, attempts and retries. @default the sender's `timeout` */
  timeout?: number;
}

/** What a send did. */
export interface SendResult {
  /** The envelope id (UUIDv7): the same id handlers see as `msg.id`, and hooks, logs and dead letters carry. */
  id: string;
  /** The queue it was sent to. */
  queue: string;
  /** True when a live `dedupKey` suppressed this send; `id` is then the first message's id. */
  deduplicated: boolean;
  /** When a delayed message is due (server clock); absent for immediate sends. */
  scheduledFor?: Date;
}
