import type { Envelope } from '../envelope/envelope.js';
import type { DeadMessage, QueueMessage } from '../interfaces/queue-message.interface.js';

/** `labels` of a message sent without any: one shared frozen object. */
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * A `QueueMessage` built straight from the decoded envelope. Its `signal` and dates are created on
 * first use: most handlers never read them, and an AbortController per message is measurable at
 * high throughput. Aborting before the first read yields an already-aborted signal. @internal
 */
export class ReceivedMessage<T = unknown> implements QueueMessage<T> {
  readonly id: string;
  readonly headers: Record<string, string>;
  readonly labels: Readonly<Record<string, string>>;
  readonly priority: number;
  #createdAt: number;
  #expiresAt: number | undefined;
  #controller?: AbortController;
  #aborted = false;
  #reason: unknown;

  constructor(
    envelope: Envelope,
    readonly queue: string,
    readonly payload: T,
    /** The effective attempt (envelope attempt + redeliveries after crashes). */
    readonly attempt: number,
    readonly entryId: string,
  ) {
    this.id = envelope.id;
    this.headers = envelope.headers;
    this.labels = envelope.labels ?? NO_LABELS;
    this.priority = envelope.priority ?? 0;
    this.#createdAt = envelope.createdAt;
    this.#expiresAt = envelope.expiresAt;
  }

  get createdAt(): Date {
    return new Date(this.#createdAt);
  }

  get expiresAt(): Date | undefined {
    return this.#expiresAt === undefined ? undefined : new Date(this.#expiresAt);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Aborts `signal` (timeout, shutdown). Only the first reason counts. */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** A plain snapshot for logs and `JSON.stringify` (getters are not own properties). */
  toJSON(): Omit<QueueMessage<T>, 'signal'> {
    const { id, queue, payload, headers, labels, priority, attempt, entryId, createdAt, expiresAt } = this;
    return {
      id,
      queue,
      payload,
      headers,
      labels,
      priority,
      attempt,
      entryId,
      createdAt,
      ...(expiresAt ? { expiresAt } : {}),
    };
  }
}

/** A `DeadMessage`: the message plus how many times it ran and its last error. @internal */
export class ReceivedDeadMessage<T = unknown> extends ReceivedMessage<T> implements DeadMessage<T> {
  constructor(
    envelope: Envelope,
    queue: string,
    payload: T,
    attempt: number,
    entryId: string,
    readonly attempts: number,
    readonly error: Error,
  ) {
    super(envelope, queue, payload, attempt, entryId);
  }
}
