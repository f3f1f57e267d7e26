import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyQueueError } from '../errors/valkey-queue.error.js';
import type { HistoryPool } from '../interfaces/history-options.interface.js';
import { consumerName } from '../utils/consumer-name.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { WorkerRegistry } from '../workers/worker.registry.js';
import { applyRetention, ensurePartitions, migrateHistorySchema } from './history-schema.js';
import { getHistory, searchHistory } from './history-query.js';
import type { HistoryPage, HistoryRecord, HistorySearch } from './history-record.interface.js';
import { HistoryWriter } from './history-writer.js';
import { loadPg } from './load-pg.js';
import { WriterPacing } from './writer-pacing.js';
import { TRUNCATED_PAYLOAD_BYTES } from '../config/history-options.schema.js';
import { registerHistoryGauges } from './history-metrics.js';
import { ValkeyQueueMetrics } from '../observability/valkey-queue-metrics.service.js';

const HOUSEKEEPING_MS = 3_600_000;
/** Longest the writer puts writing off in a row while the app is busy (docs/history.md). */
const PACING_MAX_LAG_MS = 10_000;

/** `QueueHistory` was called while `history` is not configured. */
export class HistoryNotConfiguredError extends ValkeyQueueError {
  constructor() {
    super(
      'VQ_HISTORY_OFF',
      'Task history is off: configure ValkeyQueueModule.forRoot({ history: { postgres } })',
    );
  }
}

/**
 * Task history in PostgreSQL: every message's life, searchable. Injectable always; with `history`
 * unset, `enabled` is false and `search`/`get` reject with `HistoryNotConfiguredError`. At boot it
 * migrates the schema (advisory lock), turns history on for the queues this app consumes and starts
 * the writer that drains their history streams into PostgreSQL.
 */
@Injectable()
export class QueueHistory implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueHistory.name);
  private pool?: HistoryPool;
  private ownsPool = false;
  private writer?: HistoryWriter;
  private housekeeping?: NodeJS.Timeout;
  private removeGauges?: () => void;
  private housekeepingRun?: Promise<void>;

  constructor(
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    @Inject(VALKEY_QUEUE_CLIENT) private readonly client: Redis | Cluster,
    private readonly workers: WorkerRegistry,
    private readonly metrics: ValkeyQueueMetrics,
  ) {}

  /** Whether `history` is configured. */
  get enabled(): boolean {
    return this.options.history !== undefined;
  }

  /** Messages matching every given filter, newest first; pass `nextCursor` back for the next page. */
  async search(query: HistorySearch = {}): Promise<HistoryPage> {
    return searchHistory(this.requirePool(), this.options.history!.schema, query);
  }

  /** One message with its timeline of events; undefined when the history has no such message. */
  async get(messageId: string): Promise<HistoryRecord | undefined> {
    return getHistory(this.requirePool(), this.options.history!.schema, messageId);
  }

  /** Turns history on for `queue` (a queue this app only sends to, say) and drains it. */
  async watch(queue: string): Promise<void> {
    if (!this.writer) throw new HistoryNotConfiguredError();
    await this.writer.watch(queue);
  }

  /** Events waiting in Valkey, the last PostgreSQL error and this instance's written count. */
  async status(): Promise<{ backlog: number; maxBacklog: number; written: number; error?: string }> {
    if (!this.writer) throw new HistoryNotConfiguredError();
    return {
      backlog: await this.writer.backlog(),
      maxBacklog: this.options.history!.maxBacklog,
      written: this.writer.written,
      ...(this.writer.lastError ? { error: this.writer.lastError.message } : {}),
    };
  }

  /** @internal Writes what is waiting now, then resolves; for tests. */
  async flush(): Promise<number> {
    if (!this.writer) throw new HistoryNotConfiguredError();
    return this.writer.drainOnce();
  }

  async onModuleInit(): Promise<void> {
    const history = this.options.history;
    if (!history) return;
    if ('pool' in history.postgres) {
      this.pool = history.postgres.pool;
    } else {
      const pg = await loadPg();
      const pool = new pg.Pool({ connectionString: history.postgres.connectionString, max: 4 });
      // An idle connection dropped by the server must not crash the process; the writer retries.
      pool.on('error', (error) => this.logger.warn(`PostgreSQL connection lost: ${error.message}`));
      this.pool = pool;
      this.ownsPool = true;
    }
    const pool = this.pool;
    const migrate = (): Promise<void> => migrateHistorySchema(pool, history.schema);
    // PostgreSQL down at boot does not stop the app: events wait in Valkey, and the writer migrates
    // the schema once PostgreSQL answers, before it writes anything.
    const pending = await migrate().then(
      () => undefined,
      (error: unknown) => {
        this.logger.warn(`PostgreSQL is unreachable, history events wait in Valkey: ${String(error)}`);
        return migrate;
      },
    );
    this.writer = new HistoryWriter(
      this.client,
      this.pool,
      this.options.prefix,
      history.schema,
      `${consumerName(undefined).name}-history`,
      history.payloads === 'truncated' ? TRUNCATED_PAYLOAD_BYTES : Infinity,
      pending,
      // Put off while the app is busy: a quarter of maxBacklog (the health stays up), a few seconds.
      new WriterPacing(Math.floor(history.maxBacklog / 4), PACING_MAX_LAG_MS, () =>
        this.workers.list().some((worker) => worker.inFlight > 0),
      ),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.writer) return;
    for (const definition of this.workers.definitions()) await this.writer.watch(definition.options.queue);
    await this.writer.discover();
    this.writer.start();
    const { registry } = this.metrics;
    const writer = this.writer;
    if (registry) {
      this.removeGauges = await registerHistoryGauges(registry, this.options.metrics.prefix, {
        backlog: () => writer.backlog(),
        written: () => writer.written,
        failing: () => writer.lastError !== undefined,
      });
    }
    this.housekeepingRun = this.runHousekeeping();
    this.housekeeping = setInterval(() => {
      this.housekeepingRun = this.runHousekeeping();
    }, HOUSEKEEPING_MS);
    this.housekeeping.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.housekeeping);
    this.removeGauges?.();
    this.removeGauges = undefined;
    await this.writer?.stop();
    await this.housekeepingRun;
    if (this.ownsPool) await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
  }

  /** Partitions ahead, retention behind. Failures are logged; the next run tries again. */
  private async runHousekeeping(): Promise<void> {
    const { schema, retentionMs } = this.options.history!;
    try {
      await ensurePartitions(this.pool!, schema, Date.now());
      await applyRetention(this.pool!, schema, retentionMs, Date.now());
    } catch (error) {
      this.logger.warn(`History housekeeping failed: ${String(error)}`);
    }
  }

  private requirePool(): HistoryPool {
    if (!this.pool) throw new HistoryNotConfiguredError();
    return this.pool;
  }
}
