/** A message handed to an `@OnMessage()` method. */
export interface QueueMessage<T = unknown> {
  /** Envelope id (UUIDv7): the same through retries, dead letters and redrives; use it as an idempotency key. */
  readonly id: string;
  /** The queue it came from. */
  readonly queue: string;
  /** The decoded payload (a DTO instance when the worker sets `payload`). */
  readonly payload: T;
  /** String headers given by the sender. */
  readonly headers: Readonly<Record<string, string>>;
  /** Labels given at send (`SendOptions.labels`); `{}` when none. Kept through retries, dead letters and redrives. */
  readonly labels: Readonly<Record<string, string>>;
  /** Priority given at send (`SendOptions.priority`, 0..10); 0 when none. Kept through retries, crash recovery and redrives. */
  readonly priority: number;
  /** 1 on the first delivery, +1 per retry (and per redelivery after a crash). */
  readonly attempt: number;
  /** When the message was first sent. */
  readonly createdAt: Date;
  /** Past this time the message is expired instead of handled. */
  readonly expiresAt?: Date;
  /**
   * The stream entry id this delivery came from (changes on each retry). For a priority above 0 it
   * is followed by `@p<priority>` (each priority has its own stream).
   */
  readonly entryId: string;
  /** Aborts when the attempt times out (`timeout`) and at the shutdown deadline. */
  readonly signal: AbortSignal;
}

/** A message that could not be read (not an envelope, bad JSON, failed DTO validation). Never retried. */
export interface BrokenMessage {
  /** Envelope id, when it could be read. */
  readonly id?: string;
  /** The queue it came from. */
  readonly queue: string;
  /** The stream entry fields as stored. */
  readonly raw: Readonly<Record<string, string>>;
  /** Why it is broken. */
  readonly error: Error;
  /** The stream entry id. */
  readonly entryId: string;
}

/** A message whose retries are exhausted (or that threw `UnrecoverableError`), passed to `@OnDead()`. */
export interface DeadMessage<T = unknown> extends QueueMessage<T> {
  /** How many times the handler ran for it: `maxRetries + 1` when retries are exhausted. */
  readonly attempts: number;
  /** The last failure. */
  readonly error: Error;
}
