import type { Logger } from '@nestjs/common';
import type { Gauge, Registry } from 'prom-client';
import { readQueueStatsWithPriorities } from '../../admin/priority-stats.js';
import type { StatsTarget } from '../../admin/queue-stats.reader.js';
import type { ValkeyClient } from '../../connection/create-client.js';
import type { QueueStats } from '../../interfaces/queue-stats.interface.js';
import type { BreakerState } from '../../interfaces/sender-options.interface.js';
import { queueKeys } from '../../utils/keys.util.js';
import { errorMessage, withTimeout } from '../../utils/with-timeout.util.js';
import type { PromClient } from './load-prom-client.js';

/** What the gauges read on scrape. @internal */
export interface GaugeSource {
  client: ValkeyClient;
  /** The module's key prefix. */
  keyPrefix: string;
  /** Queues this instance consumes or has sent to. */
  queues(): Iterable<string>;
  breaker(): BreakerState;
  /** Longest wait for the stats round trip. */
  timeoutMs: number;
}

interface Snapshot {
  up: boolean;
  stats: QueueStats[];
}

const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
/** Every gauge's name, without the prefix. @internal */
export const GAUGE_NAMES = [
  'queue_length',
  'queue_pending',
  'queue_lag',
  'queue_dead_letters',
  'queue_delayed',
  'queue_stats_up',
  'sender_breaker_state',
] as const;

/**
 * Gauges computed when the registry is scraped (prom-client `collect`): queue length, pending and
 * lag per group, dead letters and delayed messages of every known queue, read with ONE round trip
 * per scrape (`readQueueStats`), shared by all the gauges; plus the circuit breaker's state. @internal
 */
export class QueueGauges {
  /** Names of the registered gauges, to unregister them on shutdown. */
  readonly names: string[] = [];
  private reading?: Promise<Snapshot>;
  private failing = false;

  constructor(
    prom: PromClient,
    registry: Registry,
    prefix: string,
    private readonly source: GaugeSource,
    private readonly logger: Logger,
  ) {
    const gauge = <L extends string>(
      name: (typeof GAUGE_NAMES)[number],
      help: string,
      labelNames: readonly L[],
      fill: (gauge: Gauge<L>, snapshot: Snapshot) => void,
    ): void => {
      const read = (): Promise<Snapshot> => this.snapshot();
      new prom.Gauge<L>({
        name: prefix + name,
        help,
        labelNames,
        registers: [registry],
        async collect() {
          const snapshot = await read();
          this.reset();
          fill(this, snapshot);
        },
      });
      this.names.push(prefix + name);
    };
    const perQueue =
      (pick: (stats: QueueStats) => number) => (target: Gauge<'queue'>, snapshot: Snapshot) => {
        for (const stats of snapshot.stats) target.set({ queue: stats.queue }, pick(stats));
      };
    const perGroup =
      (pick: (group: QueueStats['groups'][number]) => number) =>
      (target: Gauge<'queue' | 'group'>, snapshot: Snapshot) => {
        for (const stats of snapshot.stats) {
          for (const group of stats.groups)
            target.set({ queue: stats.queue, group: group.name }, pick(group));
        }
      };
    gauge(
      'queue_length',
      'Messages waiting to be delivered: the slowest consumer group lag (the whole stream without a group), plus the list length',
      ['queue'],
      perQueue((stats) => stats.length),
    );
    gauge(
      'queue_pending',
      'Messages delivered to the consumer group and not acknowledged yet',
      ['queue', 'group'],
      perGroup((group) => group.pending),
    );
    gauge(
      'queue_lag',
      'Stream entries the consumer group has not read yet',
      ['queue', 'group'],
      perGroup((group) => group.lag),
    );
    gauge(
      'queue_dead_letters',
      'Entries in the dead-letter stream',
      ['queue'],
      perQueue((stats) => stats.deadLetters),
    );
    gauge(
      'queue_delayed',
      'Messages in the delayed set: delayed sends and scheduled retries',
      ['queue'],
      perQueue((stats) => stats.delayed),
    );
    gauge(
      'queue_stats_up',
      '1 when this scrape read the stats of every known queue from Valkey, 0 when that failed',
      [],
      (target, snapshot) => target.set(snapshot.up ? 1 : 0),
    );
    gauge(
      'sender_breaker_state',
      "The senders' circuit breaker: 1 on its current state (no series when the breaker is off)",
      ['state'],
      (target) => {
        const current = source.breaker();
        if (current === 'disabled') return;
        for (const state of BREAKER_STATES) target.set({ state }, state === current ? 1 : 0);
      },
    );
  }

  /**
   * The stats of this scrape. prom-client calls every gauge's collect in the same turn, so they all
   * get the one read in flight; the next scrape reads again.
   */
  private snapshot(): Promise<Snapshot> {
    this.reading ??= this.read().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async read(): Promise<Snapshot> {
    const { client, keyPrefix, timeoutMs } = this.source;
    const targets: StatsTarget[] = [...new Set(this.source.queues())]
      .sort()
      .map((queue) => ({ queue, keys: queueKeys(keyPrefix, queue) }));
    try {
      const results = await withTimeout(
        readQueueStatsWithPriorities(client, targets),
        timeoutMs,
        'Reading queue stats',
      );
      // While the connection is down, commands fail one by one rather than the whole pipeline.
      const failed = results.find((result): result is Error => result instanceof Error);
      if (failed) throw failed;
      const stats = results as QueueStats[];
      if (this.failing) this.logger.log('Reading queue stats for metrics works again');
      this.failing = false;
      return { up: true, stats };
    } catch (error) {
      if (!this.failing) {
        this.logger.warn(`Reading queue stats for metrics failed: ${errorMessage(error)}`, {
          error: errorMessage(error),
        });
      }
      this.failing = true;
      return { up: false, stats: [] };
    }
  }
}
