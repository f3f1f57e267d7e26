import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import pg from 'pg';
import { QueueHistory, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { startPostgres, type StartedPostgres } from 'nestjs-valkey-queue/testing';
import { readdirSync, readFileSync } from 'node:fs';
import { countdown } from '../contenders/countdown.js';
import {
  prefilledQueueWorker,
  startWorkerApp,
  waitUntilAcked,
} from '../contenders/queue-worker.contender.js';
import { fillStream, openRawClient } from '../contenders/raw-ioredis.contender.js';
import { LATENCY_METRICS, LatencyRecorder } from '../latency.js';
import { defineScenario, type BenchContext, type Contender, type MetricSpec } from '../scenario.js';

/**
 * Task history (docs/history.md): what recording costs the consumer, how fast the writer drains
 * events into PostgreSQL, and how fast `search` answers on a million rows. One PostgreSQL for the
 * whole bench run (startPostgres: a local binary, DATABASE_URL or Docker), stopped when it ends.
 */

let postgres: Promise<StartedPostgres> | undefined;
const postgresUrl = async (): Promise<string> => (await (postgres ??= startPostgres())).url;

/** Stops the bench's PostgreSQL, if a history scenario started one (the runner calls it at the end). */
export async function stopHistoryPostgres(): Promise<void> {
  await (await postgres?.catch(() => undefined))?.stop();
  postgres = undefined;
}

let schemas = 0;
const freshSchema = (): string => `bench_history_${process.pid}_${(schemas += 1)}`;

/** CPU (µs) PostgreSQL has used so far: the postmaster, its reaped children and its live backends. */
function postgresCpuMicros(pid: number): number {
  const times = (stat: string): number[] =>
    stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
  // Fields after the command name: [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime (ticks).
  const own = times(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  let ticks = own[11] + own[12] + own[13] + own[14];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const fields = times(readFileSync(`/proc/${entry}/stat`, 'utf8'));
      if (fields[1] === pid) ticks += fields[11] + fields[12];
    } catch {
      // The process exited meanwhile: its CPU is in the postmaster's cutime now.
    }
  }
  return (ticks * 1e6) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/** Adds `pgMicros` (PostgreSQL CPU per message over the timed run, a local server only) to a contender. */
function withPostgresCpu(contender: Contender): Contender {
  return {
    name: contender.name,
    async setup(context, size) {
      const { pid } = await (postgres ??= startPostgres());
      const prepared = await contender.setup(context, size);
      return {
        async run() {
          const before = pid === undefined ? undefined : postgresCpuMicros(pid);
          const own = (await prepared.run()) ?? {};
          if (pid === undefined || before === undefined) return own;
          return { ...own, pgMicros: (postgresCpuMicros(pid) - before) / size };
        },
        teardown: () => prepared.teardown(),
      };
    },
  };
}

const PG_METRICS: readonly MetricSpec[] = [
  { key: 'pgMicros', label: 'pg µs/msg', better: 'lower', digits: 1 },
];

/**
 * consume-c100 with the history on. `writer`: started and succeeded events recorded, the writer
 * running beside (as in an app), not waited for; `stopped`: the writer stopped before the run, so
 * only the recording (the hot path's own cost) is timed; `written`: timed until the writer has put
 * every event into PostgreSQL (the whole cost).
 */
function historyOnWorker(name: string, mode: 'writer' | 'stopped' | 'written'): Contender {
  return {
    name,
    async setup(context, size) {
      const queue = context.queueName();
      const stream = `{vq:${queue}}:stream`;
      const historyKey = `{vq:${queue}}:history`;
      const admin = await openRawClient(context);
      await fillStream(admin, stream, size);
      const handled = countdown(size);
      const history = { postgres: { connectionString: await postgresUrl() }, schema: freshSchema() };
      const app = await startWorkerApp(context, queue, () => handled.count(), { concurrency: 100 }, { history }); // prettier-ignore
      if (mode === 'stopped') {
        // The writer is internal: reached through the service only here, to time the recording alone.
        await (app.app.get(QueueHistory) as unknown as { writer: { stop(): Promise<void> } }).writer.stop();
      }
      const untilWritten = async (): Promise<void> => {
        while ((await admin.xlen(historyKey)) > 0) await new Promise((r) => setTimeout(r, 5));
      };
      return {
        async run() {
          await app.worker.start();
          await handled.done;
          await waitUntilAcked(admin, stream);
          if (mode === 'written') await untilWritten();
        },
        async teardown() {
          // Untimed: what the writer put off is written before the next run starts.
          if (mode === 'writer') await untilWritten();
          await app.close();
          await admin.quit();
        },
      };
    },
  };
}

const consumeWithHistory = defineScenario({
  id: 'history-consume-c100',
  title: 'consume-c100 with the task history on and off',
  size: (quick) => (quick ? 5_000 : 100_000),
  contenders: [
    withPostgresCpu({ ...prefilledQueueWorker(100), name: '@QueueWorker history off' }),
    withPostgresCpu(historyOnWorker('@QueueWorker history on', 'writer')),
    withPostgresCpu(historyOnWorker('history on, writer stopped', 'stopped')),
    withPostgresCpu(historyOnWorker('history on, until written', 'written')),
  ],
  ratios: [
    { of: '@QueueWorker history on', to: '@QueueWorker history off', target: 0.8 },
    { of: 'history on, writer stopped', to: '@QueueWorker history off' },
    { of: 'history on, until written', to: '@QueueWorker history off' },
    { of: '@QueueWorker history on', to: '@QueueWorker history off', metric: 'clientMicros' },
    { of: 'history on, writer stopped', to: '@QueueWorker history off', metric: 'clientMicros' },
  ],
  metrics: PG_METRICS,
  notes:
    'The consume-c100 workload; with history on, the reader appends the started events of each read in ' +
    'one history entry and ack.lua the succeeded events of each ack in one entry, and the writer drains ' +
    'them into PostgreSQL in the same process meanwhile (not waited for; PostgreSQL on the same machine). ' +
    '"writer stopped" times the recording alone (the events stay in Valkey); "until written" is timed ' +
    'until the writer has put every event into PostgreSQL. pg µs/msg: CPU of the PostgreSQL server ' +
    '(postmaster and backends, from /proc) over the timed run.',
});

/** Events per history entry in the writer's input: a send or an ack of 50 messages (one script call each). */
const EVENTS_PER_ENTRY = 50;

/**
 * Pre-fills one queue's history stream with `size` events, as the scripts write them: per 50
 * messages, one entry of their `sent` events (format 2, as send-many.lua packs them), then one of
 * their `succeeded` events (format 3, one `many` list, as ack.lua writes them).
 */
async function fillHistory(context: BenchContext, queue: string, size: number): Promise<void> {
  const client = await openRawClient(context);
  const key = `{vq:${queue}}:history`;
  const labels = '{"tenant":"acme"}';
  const sent = (first: number): string[] =>
    Array.from({ length: EVENTS_PER_ENTRY }, (_, i) => ['e', 'sent', 'id', `m-${first + i}`, 'attempt', '1', 'labels', labels]).flat(); // prettier-ignore
  for (let start = 0; start < size; start += 20 * EVENTS_PER_ENTRY) {
    const pipeline = client.pipeline();
    for (
      let index = start;
      index < Math.min(size, start + 20 * EVENTS_PER_ENTRY);
      index += 2 * EVENTS_PER_ENTRY
    ) {
      pipeline.xadd(key, '*', ...sent(index / 2));
      const acked = Array.from({ length: EVENTS_PER_ENTRY }, (_, i) => [
        `m-${index / 2 + i}`,
        '1',
        labels,
        '',
      ]);
      pipeline.xadd(key, '*', 'e', 'succeeded', 'many', JSON.stringify(acked));
    }
    await pipeline.exec();
  }
  await client.quit();
}

async function historyApp(context: BenchContext, schema: string) {
  const root = ValkeyQueueModule.forRoot({
    connection: { url: context.url },
    history: { postgres: { connectionString: await postgresUrl() }, schema },
  });
  class HistoryBenchModule {}
  Module({ imports: [root] })(HistoryBenchModule);
  return NestFactory.createApplicationContext(HistoryBenchModule, { logger: false });
}

const writerRate = defineScenario({
  id: 'history-writer',
  title: 'history writer: events drained from Valkey into PostgreSQL',
  size: (quick) => (quick ? 10_000 : 200_000),
  contenders: [
    withPostgresCpu({
      name: 'history writer',
      async setup(context, size) {
        const queue = context.queueName();
        const app = await historyApp(context, freshSchema());
        await fillHistory(context, queue, size);
        const admin = await openRawClient(context);
        return {
          async run() {
            await app.get(QueueHistory).watch(queue); // the running writer takes it from here
            while ((await admin.xlen(`{vq:${queue}}:history`)) > 0)
              await new Promise((r) => setTimeout(r, 5));
          },
          async teardown() {
            await app.close();
            await admin.quit();
          },
        };
      },
    }),
  ],
  ratios: [],
  metrics: PG_METRICS,
  limits: [{ contender: 'history writer', metric: 'throughput', min: 20_000 }],
  warmup: false,
  notes:
    'Events per second (msg/s = events/s): one writer; the stream holds entries of 50 events (a send or ' +
    'an ack of 50 messages, as the scripts pack them); batches of about 2,000 events, each one statement (a ' +
    'multi-row INSERT of events and an upsert of message rows in one CTE), acked and deleted after commit.',
});

const SEARCH_ROWS = (quick: boolean): number => (quick ? 20_000 : 1_000_000);
const searchSchemas = new Map<number, Promise<string>>();

/** A schema holding `rows` message rows (10 queues, 4 states, 3 tenants, 1 in 50 failed with an error). */
function seededSchema(context: BenchContext, rows: number): Promise<string> {
  let seeded = searchSchemas.get(rows);
  if (!seeded) {
    seeded = (async () => {
      const schema = `bench_history_search_${process.pid}_${rows}`;
      const url = await postgresUrl();
      // Booting the module migrates the schema; the rows are then generated by PostgreSQL itself.
      await (await historyApp(context, schema)).close();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(
        `INSERT INTO ${schema}.messages (queue, id, state, priority, labels, attempts, created_ms, updated_ms,
           finished_ms, error, error_lower, last_event)
         SELECT 'q' || (n % 10), 'm-' || n, (ARRAY['succeeded','dead','retrying','waiting'])[1 + n % 4], 0,
                jsonb_build_object('tenant', 't' || (n % 3)), 1 + n % 3, 1700000000000 + n * 10,
                1700000000000 + n * 10, NULL, CASE WHEN n % 50 = 0 THEN 'timeout after ' || n || ' ms' END,
                CASE WHEN n % 50 = 0 THEN 'timeout after ' || n || ' ms' END, n
           FROM generate_series(1, $1) AS n`,
        [rows],
      );
      await client.query(`ANALYZE ${schema}.messages`);
      await client.end();
      return schema;
    })();
    searchSchemas.set(rows, seeded);
  }
  return seeded;
}

const QUERIES = [
  { queue: 'q3', limit: 50 },
  { state: 'dead', limit: 50 },
  { queue: 'q7', state: ['dead', 'retrying'], limit: 100 },
  { labels: { tenant: 't1' }, limit: 50 },
  { queue: 'q1', labels: { tenant: 't2' }, limit: 50 },
  { text: 'timeout', limit: 50 },
  { from: new Date(1700000000000 + 2_000_000), to: new Date(1700000000000 + 4_000_000), limit: 50 },
  { id: 'm-123456' },
] as const;

const searchLatency = defineScenario({
  id: 'history-search',
  title: 'QueueHistory.search() latency on 1,000,000 message rows',
  size: (quick) => (quick ? 200 : 2_000),
  contenders: [
    {
      name: 'QueueHistory.search',
      async setup(context, size) {
        const schema = await seededSchema(context, SEARCH_ROWS(context.quick));
        const app = await historyApp(context, schema);
        const history = app.get(QueueHistory);
        const recorder = new LatencyRecorder(size);
        return {
          async run() {
            for (let index = 0; index < size; index += 1) {
              const query = QUERIES[index % QUERIES.length];
              const startedAt = performance.now();
              const page = await history.search(query as never);
              // Every other first page is followed by its second, through the cursor.
              if (page.nextCursor && index % 2 === 1)
                await history.search({ ...(query as object), cursor: page.nextCursor });
              recorder.record(performance.now() - startedAt);
            }
            return recorder.summary();
          },
          teardown: () => app.close(),
        };
      },
    },
  ],
  ratios: [],
  metrics: LATENCY_METRICS,
  primary: 'p99',
  columns: ['p50', 'p95', 'p99', 'max'],
  limits: [{ contender: 'QueueHistory.search', metric: 'p99', max: 50 }],
  warmup: false,
  notes:
    'One search at a time over 10 queues, 4 states, 3 tenants, 1 in 50 rows with an error; filters by ' +
    'queue, state, labels (GIN jsonb_path_ops), error text, time range and id, half followed by their next page.',
});

export default consumeWithHistory;
export { writerRate, searchLatency };
