import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { QueueAdmin } from '../admin/queue-admin.service.js';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { HEALTH_INDICATOR_SERVICE } from './load-terminus.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import { SenderStatus } from '../sender/sender-status.js';
import { queueKeys } from '../utils/keys.util.js';
import { priorityKey } from '../envelope/priority.js';
import type { ValkeyClient } from '../connection/create-client.js';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';

/** Options of `QueueHealthIndicator.isHealthy`; every threshold is optional. */
export interface QueueHealthOptions {
  /** Queues to report on. @default [] (only the senders' status) */
  queues?: string[];
  /** Down when more messages than this are delivered but not yet acknowledged. */
  maxPending?: number;
  /** Down when the oldest message not yet delivered has waited longer than this (ms). */
  maxLag?: number;
  /** Down when a dead-letter stream holds more entries than this. */
  maxDeadLetters?: number;
  /** Deadline for the whole check, in ms. @default 2000 */
  timeout?: number;
}

/** What the indicator reports for one queue. */
export interface QueueHealthFacts {
  waiting: number;
  pending: number;
  /** Age in ms of the oldest message not yet delivered (0 when none waits). */
  lagMs: number;
  consumers: number;
  deadLetters: number;
  paused: boolean;
}

/**
 * Terminus indicator for queues and senders. Per queue: waiting, pending (in flight), lag (age of
 * the oldest undelivered message), live consumers and dead letters. Down, with the numbers that
 * broke a threshold, when one is exceeded, when the senders' status is unhealthy (breaker open,
 * error ratio > 0.5, server unreachable); degraded when the senders are degraded. Never throws.
 */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly admin: QueueAdmin,
    private readonly senders: SenderStatus,
    private readonly connection: ValkeyConnection,
    @Inject(HEALTH_INDICATOR_SERVICE) private readonly health: HealthIndicatorService,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
  ) {}

  async isHealthy<const Key extends string>(key: Key, options: QueueHealthOptions = {}) {
    const indicator = this.health.check(key);
    const { status, breaker, errorRatio } = this.senders.snapshot();
    const sender = { status, breaker, errorRatio };
    let queues: Record<string, QueueHealthFacts>;
    try {
      queues = await withTimeout(
        this.collect(options.queues ?? []),
        options.timeout ?? 2_000,
        'Reading queue stats',
      );
    } catch (error) {
      return indicator.down({ message: errorMessage(error), sender });
    }
    const problems = [
      ...Object.entries(queues).flatMap(([queue, facts]) => thresholdProblems(queue, facts, options)),
      ...(status === 'unhealthy'
        ? [`senders are unhealthy (breaker ${breaker}, error ratio ${errorRatio})`]
        : []),
    ];
    if (problems.length > 0)
      return indicator.down({ message: problems.join('; '), problems, queues, sender });
    if (status === 'degraded')
      return indicator.degraded({ message: `senders are degraded (breaker ${breaker})`, queues, sender });
    return indicator.up({ queues, sender });
  }

  private async collect(queues: string[]): Promise<Record<string, QueueHealthFacts>> {
    const entries = await Promise.all(
      queues.map(async (queue) => {
        const stats = await this.admin.stats(queue);
        return [queue, { ...pick(stats), lagMs: await this.oldestWaitingAge(queue, stats) }] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  /**
   * Age of the first entry after the slowest group's last delivered id (or of the first entry,
   * without groups), the oldest over the queue's stream and its priority streams with messages waiting.
   */
  private async oldestWaitingAge(queue: string, stats: QueueStats): Promise<number> {
    if (stats.length === 0) return 0;
    const { stream } = queueKeys(this.options.prefix, queue);
    const cursors =
      stats.groups.length > 0 ? stats.groups.map(({ lastDeliveredId }) => `(${lastDeliveredId}`) : ['-'];
    const client = this.connection.client;
    const raised = Object.keys(stats.waitingByPriority)
      .map(Number)
      .filter((priority) => priority > 0)
      .map((priority) => priorityKey(stream, priority));
    const [firsts, raisedFirsts, [seconds, micros]] = await Promise.all([
      Promise.all(cursors.map((cursor) => client.xrange(stream, cursor, '+', 'COUNT', 1))),
      Promise.all(raised.map((key) => firstWaitingEntries(client, key))),
      client.time(),
    ]);
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const oldest = Math.min(
      ...[...firsts, ...raisedFirsts.flat()].flatMap((entries) =>
        entries.map(([id]) => Number(id.split('-')[0])),
      ),
    );
    return Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0;
  }
}

const pick = ({ length, pending, consumers, deadLetters, paused }: QueueStats) => ({
  waiting: length,
  pending,
  consumers,
  deadLetters,
  paused,
});

function thresholdProblems(queue: string, facts: QueueHealthFacts, options: QueueHealthOptions): string[] {
  const problems: string[] = [];
  const check = (value: number, limit: number | undefined, what: string, unit = ''): void => {
    if (limit !== undefined && value > limit)
      problems.push(`${queue}: ${what} ${value}${unit} > ${limit}${unit}`);
  };
  check(facts.pending, options.maxPending, 'pending');
  check(facts.lagMs, options.maxLag, 'lag', ' ms');
  check(facts.deadLetters, options.maxDeadLetters, 'dead letters');
  return problems;
}

/** The first entry after each group's last delivered id of a priority stream (the first entry, without groups). */
async function firstWaitingEntries(client: ValkeyClient, key: string): Promise<[string, string[]][][]> {
  const groups = (await (client.xinfo('GROUPS', key) as Promise<unknown[][]>).catch(() => [])) as unknown[][];
  const cursors = groups.length
    ? groups.map((group) => `(${String(group[group.indexOf('last-delivered-id') + 1])}`)
    : ['-'];
  return Promise.all(cursors.map((cursor) => client.xrange(key, cursor, '+', 'COUNT', 1)));
}
