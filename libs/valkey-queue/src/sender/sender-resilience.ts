import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleWhen,
  retry,
  SamplingBreaker,
  type CircuitBreakerPolicy,
  type RetryPolicy,
} from 'cockatiel';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import type { ResolvedSenderOptions } from '../config/resolve-sender-options.js';
import type { BreakerState } from '../interfaces/sender-options.interface.js';
import { isInfrastructureError, isTransientError } from './transient-errors.js';

const STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * The cockatiel policies of the module's senders: one circuit breaker shared by all of them (the
 * connection is shared, so is its health), and a retry policy per sender configuration.
 * @internal
 */
@Injectable()
export class SenderResilience {
  /** Undefined when the breaker is turned off. */
  readonly breaker: CircuitBreakerPolicy | undefined;

  constructor(@Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) options: ResolvedValkeyQueueOptions) {
    const settings = options.sender.circuitBreaker;
    if (!settings) return;
    this.breaker = circuitBreaker(handleWhen(isInfrastructureError), {
      halfOpenAfter: settings.halfOpenAfter,
      breaker:
        settings.mode === 'ratio'
          ? new SamplingBreaker({
              threshold: settings.threshold,
              duration: settings.window,
              // cockatiel reads 0 as "use my default"; a tiny rate means "no minimum", as documented
              minimumRps: settings.minimumRps > 0 ? settings.minimumRps : 1e-9,
            })
          : new ConsecutiveBreaker(settings.threshold),
    });
    // One line per state change: the breaker decides whether any send reaches Valkey.
    const logger = new Logger('QueueSender');
    const { halfOpenAfter } = settings;
    this.breaker.onBreak((reason) => {
      const cause = 'error' in reason ? `: ${errorMessage(reason.error)}` : '';
      logger.warn(`Circuit breaker opened${cause}; sends are refused for ${halfOpenAfter} ms`, {
        breaker: 'open',
        halfOpenAfterMs: halfOpenAfter,
        ...('error' in reason ? { error: errorMessage(reason.error) } : {}),
      });
    });
    this.breaker.onHalfOpen(() =>
      logger.log('Circuit breaker half-open: the next send is a probe', { breaker: 'half-open' }),
    );
    this.breaker.onReset(() =>
      logger.log('Circuit breaker closed: sends go through again', { breaker: 'closed' }),
    );
  }

  /** The breaker's state right now. */
  get state(): BreakerState {
    return this.breaker ? STATES[this.breaker.state] : 'disabled';
  }

  /** Retries connection-level failures only, with exponential backoff and decorrelated jitter. */
  createRetry(options: Pick<ResolvedSenderOptions, 'maxRetries' | 'retryBackoff'>): RetryPolicy {
    return retry(handleWhen(isTransientError), {
      maxAttempts: options.maxRetries,
      backoff: new ExponentialBackoff({
        initialDelay: options.retryBackoff.initialDelay,
        maxDelay: options.retryBackoff.maxDelay,
      }),
    });
  }
}
