import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { QueueHistory } from '../history/queue-history.service.js';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';
import { HEALTH_INDICATOR_SERVICE } from './load-terminus.js';

/** Options of `HistoryHealthIndicator.isHealthy`. */
export interface HistoryHealthOptions {
  /** Deadline for reading the backlog, in ms. @default 2000 */
  timeout?: number;
}

/**
 * Terminus indicator for the task history: up while its writer keeps up; degraded while PostgreSQL
 * cannot be written (events wait in Valkey) or the backlog is above half of `history.maxBacklog`;
 * down above `maxBacklog`. Up with `enabled: false` when history is off. Never throws.
 */
@Injectable()
export class HistoryHealthIndicator {
  constructor(
    private readonly history: QueueHistory,
    @Inject(HEALTH_INDICATOR_SERVICE) private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key, { timeout = 2_000 }: HistoryHealthOptions = {}) {
    const indicator = this.health.check(key);
    if (!this.history.enabled) return indicator.up({ enabled: false });
    let status: Awaited<ReturnType<QueueHistory['status']>>;
    try {
      status = await withTimeout(this.history.status(), timeout, 'Reading the history backlog');
    } catch (error) {
      return indicator.down({ message: errorMessage(error) });
    }
    const { backlog, maxBacklog, error } = status;
    if (backlog > maxBacklog)
      return indicator.down({ message: `history backlog ${backlog} > maxBacklog ${maxBacklog}`, ...status });
    if (error !== undefined)
      return indicator.degraded({ message: `history events wait in Valkey: ${error}`, ...status });
    if (backlog > maxBacklog / 2)
      return indicator.degraded({ message: `history backlog ${backlog} > half of maxBacklog`, ...status });
    return indicator.up({ ...status });
  }
}
