import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { withTimeout } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import type { BreakerState } from '../interfaces/sender-options.interface.js';
import { SenderResilience } from './sender-resilience.js';
import { SlidingWindow } from './sliding-window.js';

/** Overall sender health (contract item 57). */
export type SenderHealth = 'healthy' | 'degraded' | 'unhealthy';

/** Counters since the module started. */
export interface SenderCounters {
  /** Messages written (a batch counts each message). */
  sent: number;
  /** Sends suppressed by a live dedup key. */
  deduplicated: number;
  /** Send calls that failed at the server or the connection (after retries), timed out or were aborted. */
  failed: number;
  /** Retry attempts after connection-level failures. */
  retried: number;
  /** Send calls refused before any command: breaker open, or no rate-limit token in time. */
  rejected: number;
  /** Send calls refused for invalid input (queue name, options, payload). */
  invalid: number;
}

/** A point-in-time view of the senders, for health checks and dashboards. */
export interface SenderStatusSnapshot {
  /** `unhealthy`: error ratio > 0.5 or breaker open (or PING failing, in `check()`); `degraded`: ratio > 0.1 or half-open. */
  status: SenderHealth;
  /** The shared circuit breaker. */
  breaker: BreakerState;
  /** Failed share of the send calls in the window (failures and breaker refusals), 0..1. */
  errorRatio: number;
  /** The sliding window the ratio covers. */
  window: { ms: number; succeeded: number; failed: number };
  /** Totals since start. */
  counters: SenderCounters;
  /** Milliseconds since the module started. */
  uptimeMs: number;
}

/**
 * Health of this app's senders: breaker state, counters and an error ratio over a sliding window
 * (`sender.statusWindow`, default 60 s), so a past outage stops counting once it leaves the window.
 * Injectable anywhere after `forRoot`; the health indicators read it.
 */
@Injectable()
export class SenderStatus {
  private readonly startedAt = Date.now();
  private readonly window: SlidingWindow;
  private readonly counters: SenderCounters = {
    sent: 0,
    deduplicated: 0,
    failed: 0,
    retried: 0,
    rejected: 0,
    invalid: 0,
  };

  constructor(
    private readonly resilience: SenderResilience,
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) options: ResolvedValkeyQueueOptions,
  ) {
    this.window = new SlidingWindow(options.sender.statusWindow);
  }

  /** The status from local state only (no I/O). */
  snapshot(): SenderStatusSnapshot {
    const { successes, failures } = this.window.totals();
    const total = successes + failures;
    const errorRatio = total === 0 ? 0 : failures / total;
    const breaker = this.resilience.state;
    return {
      status: healthOf(errorRatio, breaker, true),
      breaker,
      errorRatio,
      window: { ms: this.window.windowMs, succeeded: successes, failed: failures },
      counters: { ...this.counters },
      uptimeMs: Date.now() - this.startedAt,
    };
  }

  /** `snapshot()` plus a PING within `timeout` ms: a failing PING makes it `unhealthy`. */
  async check({ timeout = 1_000 }: { timeout?: number } = {}): Promise<
    SenderStatusSnapshot & { ping: boolean }
  > {
    const ping = await withTimeout(this.connection.client.ping(), timeout, 'PING').then(
      () => true,
      () => false,
    );
    const snapshot = this.snapshot();
    return { ...snapshot, status: healthOf(snapshot.errorRatio, snapshot.breaker, ping), ping };
  }

  /** @internal A send call wrote `messages` messages (0 when deduplicated). */
  recordSuccess(messages: number, deduplicated: boolean): void {
    this.counters.sent += messages;
    if (deduplicated) this.counters.deduplicated += 1;
    this.window.record(true);
  }

  /** @internal A send call failed; `kind` decides the counter and whether it counts as an error. */
  recordFailure(kind: 'failed' | 'rejected' | 'rate-limited' | 'invalid' | 'aborted'): void {
    if (kind === 'rate-limited') this.counters.rejected += 1;
    else if (kind === 'aborted') this.counters.failed += 1;
    else this.counters[kind] += 1;
    // Throttling, bad input and the caller's own aborts do not make the server look unhealthy.
    if (kind === 'failed' || kind === 'rejected') this.window.record(false);
  }

  /** @internal One retry attempt. */
  recordRetry(): void {
    this.counters.retried += 1;
  }
}

/** Contract item 57, as a pure function. @internal */
export function healthOf(errorRatio: number, breaker: BreakerState, pingOk: boolean): SenderHealth {
  if (errorRatio > 0.5 || breaker === 'open' || !pingOk) return 'unhealthy';
  if (errorRatio > 0.1 || breaker === 'half-open') return 'degraded';
  return 'healthy';
}
