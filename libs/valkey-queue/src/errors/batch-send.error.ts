import { ValkeyQueueError } from './valkey-queue.error.js';

/** What a partly sent batch did write. @see BatchSendError */
export interface SentPrefix<R> {
  /** Messages written: always the first `sent` payloads of the batch, in input order. */
  sent: number;
  /** Their results, in input order (length `sent`). */
  results: R[];
}

/**
 * `sendBatch()` wrote some chunks, then one failed. Chunks are all-or-nothing and sent in order, so
 * exactly the first `sent` payloads were written (their `results` are here) and none after them.
 * `cause` is the failed chunk's error. Resend `payloads.slice(sent)` to finish the batch.
 */
export class BatchSendError<R = unknown> extends ValkeyQueueError implements SentPrefix<R> {
  readonly sent: number;
  readonly results: R[];

  constructor(
    /** The queue of the batch. */
    readonly queue: string,
    /** Size of the whole batch. */
    readonly total: number,
    prefix: SentPrefix<R>,
    options: ErrorOptions & { cause: unknown },
  ) {
    super(
      'VQ_BATCH_PARTIALLY_SENT',
      `sendBatch to queue '${queue}' stopped after ${prefix.sent} of ${total} messages: ${causeMessage(options.cause)}`,
      options,
    );
    this.sent = prefix.sent;
    this.results = prefix.results;
  }
}

const causeMessage = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));
