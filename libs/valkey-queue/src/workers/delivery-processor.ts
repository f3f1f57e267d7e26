import type { Logger } from '@nestjs/common';
import { fieldsToRecord, type Envelope } from '../envelope/envelope.js';
import { EnvelopeError } from '../envelope/envelope.error.js';
import { DeliveryLimitError } from '../errors/delivery-limit.error.js';
import { HandlerTimeoutError } from '../errors/handler-timeout.error.js';
import { NonErrorThrownError } from '../errors/non-error-thrown.error.js';
import { RetryAfterError } from '../errors/retry-after.error.js';
import { UnrecoverableError } from '../errors/unrecoverable.error.js';
import type { BrokenMessage } from '../interfaces/queue-message.interface.js';
import type { WorkerMetrics } from '../observability/metrics/worker-metrics.js';
import {
  startProcessSpan,
  type ConsumerTarget,
  type QueueSpan,
} from '../observability/tracing/queue-tracing.js';
import { withTimeout } from '../utils/with-timeout.util.js';
import { MAX_RETRY_DELAY, retryDelay } from '../config/backoff.js';
import { payloadDecoder, type PayloadDecoder } from './payload-decoder.js';
import { ReceivedDeadMessage, ReceivedMessage } from './received-message.js';
import { decodeEnvelope } from './decode-envelope.js';
import type { InFlight, OutcomeSink, WorkerDefinition } from './worker-definition.js';

/** After a timeout aborts `msg.signal`, how long the handler may take to settle before its retry is scheduled. */
export const TIMEOUT_GRACE_MS = 5_000;
/** How long an @OnDead / @OnBroken hook may run when the worker sets no `timeout`. */
export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

/** A decoded message before (or instead of) its handler call. */
interface DecodedMessage {
  envelope: Envelope;
  payload: unknown;
  /** Effective attempt: envelope attempt + redeliveries after crashes (shown as `msg.attempt`). */
  attempt: number;
  /**
   * Handler runs of this message, this delivery included: earlier copies' runs plus every delivery
   * of this copy (a redelivery after a crash counts as a run). Counts only this library's runs,
   * whatever `attempt` a producer wrote; the retry budget and `attempts` use it.
   */
  runs: number;
}

/** What happened to the hook, for the dead/broken log line. */
const hookNote = (kind: string, present: boolean, skipped: boolean, deliveries: number): string =>
  !present ? `; no ${kind} handler` : skipped ? `; ${kind} skipped: delivered ${deliveries} times` : '';

/** The attempt for a log line, with the handler runs when a producer's starting attempt makes them differ. */
const runNote = (attempt: number, runs: number, last: number): string =>
  runs === attempt ? `attempt ${attempt}/${last}` : `attempt ${attempt}, run ${runs}/${last}`;

/** Handler runs of a message by this delivery, this one included (see `DecodedMessage.runs`). */
const runsOf = (envelope: Envelope, deliveries: number): number =>
  envelope.attempt + deliveries - (envelope.firstAttempt ?? envelope.attempt);

/** Anything thrown, as an Error. @internal */
export const asError = (thrown: unknown): Error =>
  thrown instanceof Error ? thrown : new NonErrorThrownError(thrown);

/**
 * What happens to one delivered message: decode, classify (broken, expired, crash loop), run the
 * handler, and hand the outcome (ack, retry, dead letter) to the sink. Never throws. @internal
 */
export class DeliveryProcessor {
  private readonly decode: PayloadDecoder;
  private readonly hookTimeout: number;
  /** Deliveries of one copy beyond which hooks are skipped: a hook that crashes the worker cannot loop. */
  private readonly hookDeliveryLimit: number;
  /** Undefined while metrics are off: every count below is then skipped. */
  private readonly metrics: WorkerMetrics | undefined;
  /** Undefined when tracing is off (`tracing.enabled: false`). */
  private readonly traceTarget: ConsumerTarget | undefined;

  constructor(
    private readonly definition: WorkerDefinition,
    private readonly sink: OutcomeSink,
    private readonly logger: Logger,
    /** Called once per message when its processing is over (its slot is free). */
    private readonly settle: (entry: InFlight) => void,
  ) {
    this.decode = payloadDecoder(definition.options.codec, definition.options.payload);
    this.hookTimeout = definition.options.timeout ?? DEFAULT_HOOK_TIMEOUT_MS;
    this.hookDeliveryLimit = definition.options.maxRetries + 2;
    this.metrics = definition.metrics;
    this.traceTarget =
      definition.tracing === false
        ? undefined
        : { group: definition.options.group, consumer: definition.options.consumer };
  }

  /** Processes one message and settles it (frees its slot) when done. Never rejects. */
  async process(entry: InFlight): Promise<void> {
    try {
      const { raw } = entry;
      const { options } = this.definition;
      if (raw.invalid !== undefined)
        return await this.broken(entry, undefined, new EnvelopeError(raw.invalid));
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(raw.fields);
      } catch (error) {
        return await this.broken(entry, undefined, asError(error));
      }
      // A redelivery after a crash counts as an attempt (the PEL delivery count says how many).
      const attempt = envelope.attempt + raw.deliveries - 1;
      const runs = runsOf(envelope, raw.deliveries);
      if (envelope.expiresAt !== undefined && envelope.expiresAt <= Date.now()) {
        return this.expired(entry, envelope, runs - 1);
      }
      let payload: unknown;
      try {
        payload = options.payload ? await this.decode(envelope.payload) : this.decode(envelope.payload);
      } catch (error) {
        return await this.broken(entry, envelope, asError(error));
      }
      if (!options.noAck && runs > options.maxRetries + 1) {
        // Every earlier delivery of this copy ended without an outcome: the worker died each time.
        const error = new DeliveryLimitError(runs - 1, raw.deliveries - 1);
        return await this.dead(entry, { envelope, payload, attempt, runs }, runs - 1, error, false);
      }
      const received = new ReceivedMessage(envelope, options.queue, payload, attempt, raw.entryId);
      entry.message = received;
      const { metrics } = this;
      // undefined unless tracing is on and an OpenTelemetry SDK is registered
      const span = this.traceTarget ? startProcessSpan(received, this.traceTarget) : undefined;
      const startedAt = metrics ? metrics.handlerStarted(envelope.createdAt, attempt) : 0;
      let error: Error | undefined;
      if (options.timeout === undefined) {
        try {
          const { message: handler } = this.definition.handlers;
          await (span ? span.run(handler, received) : handler(received));
        } catch (thrown) {
          error = asError(thrown);
        }
      } else {
        error = await this.invokeWithTimeout(received, options.timeout, span);
      }
      metrics?.handlerFinished(startedAt);
      span?.end(error);
      if (entry.abandoned) return;
      if (error === undefined) {
        metrics?.processed.inc();
        return this.sink.ack(entry, 'processed', envelope.id);
      }
      return await this.failed(entry, { envelope, payload, attempt, runs }, error);
    } catch (error) {
      this.logger.error(`Unexpected failure processing ${entry.entryId}: ${asError(error).message}`);
    } finally {
      this.settle(entry);
    }
  }

  /** Runs the handler under `timeout`; resolves its error (a HandlerTimeoutError on timeout), or undefined. */
  private async invokeWithTimeout(
    message: ReceivedMessage,
    timeout: number,
    span: QueueSpan | undefined,
  ): Promise<Error | undefined> {
    const { message: handler } = this.definition.handlers;
    const run = (async () => (span ? span.run(handler, message) : handler(message)))().then(
      () => undefined,
      (error: unknown) => asError(error),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(resolve, timeout, 'timeout');
    });
    const first = await Promise.race([run, timedOut]);
    clearTimeout(timer);
    if (first !== 'timeout') return first;
    const error = new HandlerTimeoutError(timeout);
    message.abort(error);
    // The retry must not become visible while this attempt still runs (bounded by the grace).
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      graceTimer = setTimeout(resolve, TIMEOUT_GRACE_MS);
    });
    await Promise.race([run, grace]);
    clearTimeout(graceTimer);
    return error;
  }

  private failed(entry: InFlight, message: DecodedMessage, error: Error): void | Promise<void> {
    const { options, name } = this.definition;
    const { envelope, attempt, runs } = message;
    const last = options.maxRetries + 1;
    this.metrics?.failed.inc();
    if (options.noAck) {
      this.logger.error(
        `${name} failed on message ${envelope.id} of '${options.queue}' (noAck: not retried): ${error.message}`,
        this.fields(envelope.id, { attempt, error: error.message }),
        error.stack,
      );
      return this.sink.failedWithoutRetry();
    }
    if (error instanceof UnrecoverableError || runs >= last) {
      return this.dead(entry, message, runs, error, true);
    }
    const delayMs =
      error instanceof RetryAfterError && Number.isFinite(error.delayMs)
        ? Math.min(MAX_RETRY_DELAY, Math.max(0, Math.round(error.delayMs)))
        : retryDelay(options.backoff, attempt, error, (reason) => this.logger.warn(`${name}: ${reason}`));
    this.metrics?.retried.inc();
    this.logger.warn(
      `${name} failed on message ${envelope.id} of '${options.queue}' (${runNote(attempt, runs, last)}), ` +
        `retrying in ${delayMs} ms: ${error.message}`,
      this.fields(envelope.id, {
        attempt,
        runs,
        maxAttempts: last,
        retryInMs: delayMs,
        error: error.message,
      }),
    );
    this.sink.retry(entry, {
      entryId: entry.entryId,
      id: envelope.id,
      delayMs,
      attempt: attempt + 1,
      firstAttempt: envelope.firstAttempt ?? envelope.attempt,
      fields: entry.raw.fields,
    });
  }

  private async dead(
    entry: InFlight,
    decoded: DecodedMessage,
    attempts: number,
    error: Error,
    countFailure: boolean,
  ): Promise<void> {
    const { handlers, options, name } = this.definition;
    const { envelope, payload, attempt } = decoded;
    const message = new ReceivedDeadMessage(
      envelope,
      options.queue,
      payload,
      attempt,
      entry.entryId,
      attempts,
      error,
    );
    entry.message = message;
    const skipHook = handlers.dead !== undefined && entry.raw.deliveries > this.hookDeliveryLimit;
    this.logger.error(
      `${name}: message ${envelope.id} of '${options.queue}' is dead after ${attempts} attempt(s): ` +
        `${error.message}${hookNote('@OnDead', !!handlers.dead, skipHook, entry.raw.deliveries)}`,
      this.fields(envelope.id, { reason: 'dead', attempts, error: error.message }),
      error.stack,
    );
    if (handlers.dead && !skipHook) await this.hook('@OnDead', envelope.id, () => handlers.dead!(message));
    if (entry.abandoned) return;
    this.metrics?.dead.inc();
    this.sink.dead(entry, {
      entryId: entry.raw.entryId,
      reason: 'dead',
      error: error.message,
      stack: options.deadLetterStack ? error.stack : undefined,
      attempts,
      countFailure,
      fields: entry.raw.fields,
    });
  }

  private async broken(entry: InFlight, envelope: Envelope | undefined, error: Error): Promise<void> {
    const { handlers, options, name } = this.definition;
    const raw = fieldsToRecord(entry.raw.fields);
    const id = envelope?.id ?? (raw.id || undefined);
    const skipHook = handlers.broken !== undefined && entry.raw.deliveries > this.hookDeliveryLimit;
    this.logger.error(
      `${name}: message ${id ?? entry.raw.entryId} of '${options.queue}' is broken: ${error.message}` +
        hookNote('@OnBroken', !!handlers.broken, skipHook, entry.raw.deliveries),
      this.fields(id, { entryId: entry.raw.entryId, reason: 'broken', error: error.message }),
    );
    if (handlers.broken && !skipHook) {
      const message: BrokenMessage = { id, queue: options.queue, raw, error, entryId: entry.raw.entryId };
      await this.hook('@OnBroken', id ?? entry.raw.entryId, () => handlers.broken!(message));
    }
    if (entry.abandoned) return;
    this.metrics?.broken.inc();
    this.sink.dead(entry, {
      entryId: entry.raw.entryId,
      reason: 'broken',
      error: error.message,
      // Earlier runs only: this copy's handler never ran (redeliveries count as runs, as elsewhere).
      attempts: envelope ? runsOf(envelope, entry.raw.deliveries) - 1 : 0,
      countFailure: false,
      fields: entry.raw.fields,
    });
  }

  private expired(entry: InFlight, envelope: Envelope, attempts: number): void {
    const { options } = this.definition;
    this.logger.debug(
      `Message ${envelope.id} of '${options.queue}' expired before handling`,
      this.fields(envelope.id, { reason: 'expired', expiresAt: envelope.expiresAt }),
    );
    this.metrics?.expired.inc();
    if (!options.deadLetterExpired) return this.sink.ack(entry, 'expired', envelope.id);
    this.sink.dead(entry, {
      entryId: entry.raw.entryId,
      reason: 'expired',
      error: `expired at ${new Date(envelope.expiresAt!).toISOString()}`,
      attempts,
      countFailure: false,
      fields: entry.raw.fields,
    });
  }

  /** Runs a hook; its failure or hang is logged and never blocks the dead-letter move. */
  private async hook(kind: string, id: string, call: () => unknown): Promise<void> {
    try {
      await withTimeout(
        (async () => call())(),
        this.hookTimeout,
        `${this.definition.name} ${kind} for message ${id}`,
      );
    } catch (error) {
      const failure = asError(error);
      this.logger.error(
        `${this.definition.name} ${kind} failed for message ${id}: ${failure.message}`,
        this.fields(id, { hook: kind, error: failure.message }),
        failure.stack,
      );
    }
  }

  /** Structured fields of a log line about one message (only built when a line is logged). */
  private fields(id: string | undefined, extra: Record<string, unknown>): Record<string, unknown> {
    const { name, options } = this.definition;
    return { worker: name, queue: options.queue, group: options.group, id, ...extra };
  }
}
