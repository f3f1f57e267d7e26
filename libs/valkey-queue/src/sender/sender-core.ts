import { Logger } from '@nestjs/common';
import { isBrokenCircuitError, isIsolatedCircuitError, type RetryPolicy } from 'cockatiel';
import { encodePayload } from '../codec/encode-payload.js';
import type { ValkeyClient } from '../connection/create-client.js';
import type { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { BatchSendError } from '../errors/batch-send.error.js';
import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';
import { QueueUnavailableError } from '../errors/queue-unavailable.error.js';
import { RateLimitedError } from '../errors/rate-limited.error.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { ValkeyQueueError } from '../errors/valkey-queue.error.js';
import type { SenderMetrics } from '../observability/metrics/sender-metrics.js';
import { startSendSpan } from '../observability/tracing/queue-tracing.js';
import { errorMessage, TimeoutError } from '../utils/with-timeout.util.js';
import { buildSendCall, markAsRetry, type SendCall, type SendCallSettings } from './build-send-call.js';
import { CallDeadline, sleep } from './call-deadline.js';
import { checkSendOptions, type CheckedSendOptions } from './check-send-options.js';
import { PriorityAnnouncer } from '../signals/priority-announcer.js';
import { assertOrderable } from './ordered-send.js';
import { measureQueueSize } from './queue-size.js';
import { assertDelayable, resolveQueueTarget, type QueueTarget } from './queue-target.js';
import type { SendReply, SendScript } from './send-script.js';
import type { ResolvedSenderOptions } from '../config/resolve-sender-options.js';
import type { SendOptions, SendResult } from '../interfaces/send-options.interface.js';
import type { SenderResilience } from './sender-resilience.js';
import type { SenderStatus } from './sender-status.js';
import type { TokenBucket } from './token-bucket.js';

/** Shared collaborators of every sender of a module. @internal */
export interface SenderDeps {
  client: ValkeyClient;
  /** send.lua on `client`, shared so its in-flight count covers every sender. */
  script: SendScript;
  prefix: string;
  resilience: SenderResilience;
  status: SenderStatus;
  promoter: DelayedPromoter;
  /** Counters per queue; absent while metrics are off (then nothing is counted). */
  metrics?: SenderMetrics;
  /** False when `tracing.enabled` is false: no send spans even with an OpenTelemetry SDK. */
  tracing: boolean;
}

/** Queue names remembered per sender; beyond this the cache starts over (names are caller-chosen). */
const MAX_CACHED_QUEUES = 10_000;

/**
 * The engine behind `QueueSender` and every `@InjectSender` sender: checks input, encodes, rate
 * limits, and runs one `vqSend` script call per send (per chunk for batches) through the retry
 * policy and the shared circuit breaker. Bad input throws before anything is written.
 * @internal
 */
export class SenderCore {
  private readonly logger = new Logger('QueueSender');
  private readonly targets = new Map<string, QueueTarget>();
  private readonly retry: RetryPolicy;
  private readonly priorities = new PriorityAnnouncer();

  constructor(
    readonly options: ResolvedSenderOptions,
    private readonly deps: SenderDeps,
    private readonly limiter: TokenBucket | undefined,
  ) {
    this.retry = deps.resilience.createRetry(options);
    this.retry.onRetry(() => deps.status.recordRetry());
  }

  send(queue: string, payload: unknown, rawOptions?: SendOptions): Promise<SendResult> {
    // Not async: a send is one promise chain, and every failure (bad input included) a rejection.
    let span: ReturnType<typeof startSendSpan>;
    try {
      // undefined unless tracing is on and an OpenTelemetry SDK is registered
      span = this.deps.tracing ? startSendSpan(queue, 1) : undefined;
    } catch (error) {
      return Promise.reject(error);
    }
    let call: SendCall;
    let options: CheckedSendOptions;
    try {
      const now = Date.now();
      const target = this.target(queue);
      options = checkSendOptions(rawOptions, 'send', now);
      assertDelayable(target, options);
      assertOrderable(target, options);
      if (span) options = { ...options, headers: span.inject(options.headers) };
      const text = encodePayload(this.options.codec, payload, this.options.maxPayloadBytes);
      call = buildSendCall(target.settings, [text], options, now);
    } catch (error) {
      span?.end(error);
      return Promise.reject(this.invalid(error, queue));
    }
    const failed = (error: unknown): never => {
      span?.end(error);
      this.reportError(error as Error, queue);
      throw error;
    };
    const sent = (results: SendResult[]): SendResult => {
      try {
        if (options.priority !== undefined) this.announcePriority(queue, options.priority);
        span?.end();
      } catch (error) {
        return failed(error);
      }
      return results[0];
    };
    try {
      span?.messageId(call.envelopes[0].id);
      return this.runThen(queue, call, options, sent, failed);
    } catch (error) {
      return Promise.reject(error).catch(failed);
    }
  }

  async sendBatch(
    queue: string,
    payloads: readonly unknown[],
    rawOptions?: SendOptions,
  ): Promise<SendResult[]> {
    let settings: SendCallSettings;
    let options: CheckedSendOptions;
    let texts: string[];
    const createdAt = Date.now();
    const span = this.deps.tracing
      ? startSendSpan(queue, Array.isArray(payloads) ? payloads.length : 0)
      : undefined;
    try {
      const target = this.target(queue);
      if (!Array.isArray(payloads)) throw new InvalidSendOptionsError('payloads', payloads, 'an array');
      options = checkSendOptions(rawOptions, 'sendBatch', createdAt);
      assertDelayable(target, options);
      assertOrderable(target, options);
      if (span) options = { ...options, headers: span.inject(options.headers) };
      const { codec, maxPayloadBytes } = this.options;
      // Encode everything first: one bad payload must reject the batch before any chunk is written.
      texts = new Array<string>(payloads.length);
      for (let index = 0; index < payloads.length; index++) {
        texts[index] = encodePayload(codec, payloads[index], maxPayloadBytes, index);
      }
      settings = target.settings;
    } catch (error) {
      span?.end(error);
      throw this.invalid(error, queue);
    }
    const results: SendResult[] = [];
    const { chunkSize } = this.options;
    let next: SendCall | undefined =
      texts.length > 0 ? buildSendCall(settings, texts.slice(0, chunkSize), options, createdAt) : undefined;
    try {
      for (let start = 0; next; start += chunkSize) {
        const running = this.run(queue, next, options);
        // Build the next chunk while this one is on the wire; it is only sent once this one succeeded.
        const end = start + chunkSize;
        next =
          end < texts.length
            ? buildSendCall(settings, texts.slice(end, end + chunkSize), options, createdAt)
            : undefined;
        for (const result of await running) results.push(result);
      }
      if (options.priority !== undefined) this.announcePriority(queue, options.priority);
      span?.end();
      return results;
    } catch (error) {
      const failure =
        results.length === 0
          ? (error as Error)
          : new BatchSendError(queue, texts.length, { sent: results.length, results }, { cause: error });
      span?.end(failure);
      this.reportError(failure, queue);
      throw failure;
    }
  }

  /** Idle workers of `queue` look for the key of `priority` at once (signals/priority-announcer.ts). */
  private announcePriority(queue: string, priority: number): void {
    this.priorities.announce(this.deps.client, this.target(queue).settings.target, priority);
  }

  /** Messages not yet finished in `queue` (see measureQueueSize). */
  async size(queue: string): Promise<number> {
    const { settings } = this.target(queue);
    return measureQueueSize(this.deps.client, settings.transport, settings.target, settings.keys);
  }

  /** Runs one script call: rate limit, then attempts under retry + breaker, within the deadline. */
  private run(queue: string, call: SendCall, options: CheckedSendOptions): Promise<SendResult[]> {
    return this.runThen(queue, call, options, returnResults, rethrow);
  }

  /**
   * `run`, its results handed to `done` and its typed error to `fail` in the same chain: one
   * promise on the deadline's race per call, no async frame. With a rate limiter, tokens are
   * reserved (and maybe waited for) first. The first attempt is raced alone; only when it fails
   * does the retry policy take over (as its first outcome), raced against the same deadline.
   */
  private runThen<T>(
    queue: string,
    call: SendCall,
    options: CheckedSendOptions,
    done: (results: SendResult[]) => T,
    fail: (error: unknown) => never,
  ): Promise<T> {
    const deadline = new CallDeadline(
      options.timeout ?? this.options.timeout,
      () => `Sending to queue '${queue}'`,
      options.signal,
    );
    const progress = { issued: 0 };
    const failed = (error: unknown): never => {
      const failure = this.failure(queue, error, deadline, progress);
      this.finish(queue, deadline, progress);
      return fail(failure);
    };
    if (deadline.expired) return Promise.reject(deadline.reason).catch(failed);
    const settled = (reply: SendReply): T => {
      let results: SendResult[];
      try {
        results = this.settle(queue, call, reply, options);
      } catch (error) {
        return failed(error);
      }
      this.finish(queue, deadline, progress);
      return done(results);
    };
    const attempt = (): Promise<T> => {
      const guarded = this.guardedAttempt(call, deadline, progress);
      let first: Promise<SendReply>;
      try {
        first = guarded();
      } catch (error) {
        first = Promise.reject(error);
      }
      return deadline.race(first).then(settled, (error: unknown) => {
        if (deadline.expired) return failed(deadline.reason);
        return deadline.race(this.retryAfter(error, guarded)).then(settled, failed);
      });
    };
    if (!this.limiter) return attempt();
    let waitMs: number;
    try {
      waitMs = this.reserveTokens(queue, call.envelopes.length, deadline);
    } catch (error) {
      return Promise.reject(error).catch(failed);
    }
    if (waitMs <= 0) return attempt();
    return this.waitForTokens(queue, call.envelopes.length, waitMs, deadline, options.signal).then(
      attempt,
      failed,
    );
  }

  /** The typed error of a failed call, its failure recorded in the status (and the metrics). */
  private failure(
    queue: string,
    error: unknown,
    deadline: CallDeadline,
    progress: { issued: number },
  ): unknown {
    const { status } = this.deps;
    if (error instanceof RateLimitedError) {
      status.recordFailure('rate-limited');
      return error;
    }
    if (isBrokenCircuitError(error) || isIsolatedCircuitError(error)) {
      status.recordFailure('rejected');
      this.deps.metrics?.rejected(queue);
      return new QueueUnavailableError(queue, progress.issued > 0, { cause: error });
    }
    if (error === deadline.reason && !(error instanceof TimeoutError)) {
      status.recordFailure('aborted'); // the caller's own abort: not the server's fault
      return error;
    }
    status.recordFailure('failed');
    if (error instanceof ValkeyQueueError) return error;
    return new SendFailedError(queue, isAmbiguous(error), errorMessage(error), { cause: error });
  }

  /** A call is over: its deadline goes, its retries are counted. */
  private finish(queue: string, deadline: CallDeadline, progress: { issued: number }): void {
    deadline.dispose();
    if (progress.issued > 1) this.deps.metrics?.retried(queue, progress.issued - 1);
  }

  /** One attempt of the script call, through the breaker. */
  private guardedAttempt(
    call: SendCall,
    deadline: CallDeadline,
    progress: { issued: number },
  ): () => Promise<SendReply> {
    const { script, resilience } = this.deps;
    const attempt = (): Promise<SendReply> => {
      // Never start an attempt after the deadline (cockatiel would retry once more after its backoff).
      if (deadline.expired) return Promise.reject(deadline.reason);
      progress.issued += 1;
      if (progress.issued === 2) markAsRetry(call); // an earlier attempt may have written
      return script.call(call, this.options.durability);
    };
    const { breaker } = resilience;
    return breaker ? () => breaker.execute(attempt) : attempt;
  }

  /** The retry policy, its first attempt's outcome being `error` (already met). */
  private retryAfter(error: unknown, guarded: () => Promise<SendReply>): Promise<SendReply> {
    let replayed = false;
    return this.retry.execute(() => {
      if (replayed) return guarded();
      replayed = true;
      throw error;
    });
  }

  /** Turns the script's reply into results, and tells the promoter and the hooks. */
  private settle(queue: string, call: SendCall, reply: SendReply, options: CheckedSendOptions): SendResult[] {
    const { envelopes } = call;
    // A dedup key holding our own id means an earlier attempt of this very call wrote it.
    if (reply[0] === 1 && reply[1] !== envelopes[0].id) {
      this.deps.status.recordSuccess(0, true);
      this.deps.metrics?.deduplicated(queue);
      return [{ id: reply[1], queue, deduplicated: true }];
    }
    let scheduledFor: Date | undefined;
    if (call.mode === 'ordered' && reply[0] === 0 && reply[2] >= 0) scheduledFor = new Date(reply[2]);
    else if (call.mode === 'delayed') {
      const due =
        reply[0] === 0 && reply[2] >= 0
          ? reply[2]
          : (options.dueAt ?? envelopes[0].createdAt + (options.delay ?? 0));
      scheduledFor = new Date(due);
      this.deps.promoter.watch(queue, this.options.transport);
      this.deps.promoter.scheduled(queue, due);
    }
    const results = new Array<SendResult>(envelopes.length);
    for (let index = 0; index < envelopes.length; index++) {
      results[index] = scheduledFor
        ? { id: envelopes[index].id, queue, deduplicated: false, scheduledFor }
        : { id: envelopes[index].id, queue, deduplicated: false };
    }
    this.deps.status.recordSuccess(envelopes.length, false);
    this.deps.metrics?.sent(queue, envelopes.length);
    const { onSent } = this.options;
    if (onSent) {
      for (let index = 0; index < results.length; index++) {
        this.callHook('onSent', () => onSent(results[index], envelopes[index]));
      }
    }
    return results;
  }

  /** Takes tokens now, returning how long to wait for them; throws when they cannot come in time. */
  private reserveTokens(queue: string, count: number, deadline: CallDeadline): number {
    if (!this.limiter) return 0;
    const maxWait = Math.min(this.rateLimitMaxWait(), deadline.remaining);
    const waitMs = this.limiter.reserve(count, maxWait);
    if (waitMs < 0) throw new RateLimitedError(queue, Math.round(maxWait));
    return waitMs;
  }

  private async waitForTokens(
    queue: string,
    count: number,
    waitMs: number,
    deadline: CallDeadline,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    try {
      await sleep(waitMs, signal);
    } catch (reason) {
      this.limiter?.refund(count);
      throw new RateLimitedError(queue, Math.round(waitMs), { cause: reason });
    }
    if (deadline.expired) throw new RateLimitedError(queue, Math.round(waitMs), { cause: deadline.reason });
  }

  private rateLimitMaxWait(): number {
    const { rateLimit } = this.options;
    return rateLimit && rateLimit.maxWait !== undefined ? rateLimit.maxWait : Infinity;
  }

  /** Resolves (and caches) where `queue`'s messages go; throws `InvalidQueueNameError`. */
  private target(queue: string): QueueTarget {
    const cached = this.targets.get(queue);
    if (cached) return cached;
    const target = resolveQueueTarget(queue, this.deps.prefix, this.options, this.deps.client);
    if (this.targets.size >= MAX_CACHED_QUEUES) this.targets.clear();
    this.targets.set(queue, target);
    return target;
  }

  private invalid(error: unknown, queue: string): unknown {
    this.deps.status.recordFailure('invalid');
    this.reportError(error as Error, queue);
    return error;
  }

  private reportError(error: Error, queue: string): void {
    this.deps.metrics?.error(queue, error);
    const { onError } = this.options;
    if (onError) this.callHook('onError', () => onError(error, queue));
  }

  /** A throwing hook is logged and swallowed: it never fails or repeats a send. */
  private callHook(name: string, hook: () => unknown): void {
    try {
      hook();
    } catch (error) {
      this.logger.error(
        `The ${name} hook threw: ${errorMessage(error)}`,
        error instanceof Error ? error.stack : undefined,
      );
    }
  }
}

const returnResults = (results: SendResult[]): SendResult[] => results;
const rethrow = (error: unknown): never => {
  throw error;
};

/** A connection-level failure may have hit after the script ran: the write may have landed. */
function isAmbiguous(error: unknown): boolean {
  return error instanceof Error && /closed|timed out|ECONNRESET|EPIPE|max retries/i.test(error.message);
}
