import type { TestingModule } from '@nestjs/testing';
import { OnMessage, QueueHistory, QueueSender, QueueWorker } from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { bootWorkers, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { sql, uniqueSchema, usePostgres } from './history-kit.js';

describe('task history under faults: every event in PostgreSQL exactly once (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const modules: TestingModule[] = [];

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  const boot = async (providers: (new () => object)[], schema: string): Promise<TestingModule> => {
    const moduleRef = await bootWorkers(valkey().url, providers, {
      connection: valkey().connection,
      history: { postgres: { connectionString: postgres().url }, schema },
    });
    modules.push(moduleRef);
    return moduleRef;
  };

  /** Per message id of one queue: its event count and types (alphabetical); and how many rows are in a state. */
  const eventCounts = (schema: string, queue: string) =>
    sql<{ message_id: string; events: string; types: string }>(
      postgres().url,
      `SELECT message_id, count(*) AS events, string_agg(type, ',' ORDER BY type) AS types
         FROM ${schema}.events WHERE queue = $1 GROUP BY message_id`,
      [queue],
    );
  const countInState = async (schema: string, queue: string, state: string): Promise<number> =>
    Number((await sql<{ n: string }>(postgres().url, `SELECT count(*) AS n FROM ${schema}.messages WHERE queue = $1 AND state = $2`, [queue, state]))[0].n); // prettier-ignore

  it('PostgreSQL killed mid-workload and restarted: after catch-up every message has exactly its events', async () => {
    const queue = uniqueQueue('history-kill');
    const schema = uniqueSchema();
    @QueueWorker(queue, { concurrency: 50 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const moduleRef = await boot([Worker], schema);
    const sender = moduleRef.get(QueueSender);
    const history = moduleRef.get(QueueHistory);
    const ids: string[] = [];
    const burst = async (n: number): Promise<void> => {
      const results = await sender.sendBatch(
        queue,
        Array.from({ length: n }, (_, i) => ({ i })),
      );
      ids.push(...results.map((result) => result.id));
    };

    await burst(500);
    await waitFor(async () => (await countInState(schema, queue, 'succeeded')) > 0, 'the first rows');
    await postgres().kill();
    await burst(1_000); // handled and recorded in Valkey while PostgreSQL is down
    await waitFor(async () => (await history.status()).backlog >= 2_000, 'events waiting in Valkey');
    await waitFor(
      async () => (await history.status()).error !== undefined,
      'the writer to report the outage',
    );
    await postgres().restart();
    await burst(500);

    await waitFor(async () => (await countInState(schema, queue, 'succeeded')) === 2_000, 'catch-up', 60_000);
    const counts = await eventCounts(schema, queue);
    expect(counts).toHaveLength(2_000);
    expect(new Set(counts.map((row) => row.message_id))).toEqual(new Set(ids));
    expect(counts.filter((row) => row.types !== 'sent,started,succeeded')).toEqual([]);
    await waitFor(async () => (await history.status()).backlog === 0, 'an empty backlog');
    expect((await history.status()).error).toBeUndefined();
  });

  it('PostgreSQL down at boot: the app starts, events wait, and the schema and rows arrive once it answers', async () => {
    const queue = uniqueQueue('history-boot');
    const schema = uniqueSchema();
    await postgres().kill();
    const moduleRef = await boot([], schema);
    const history = moduleRef.get(QueueHistory);
    await history.watch(queue);
    const sent = await moduleRef.get(QueueSender).sendBatch(queue, [{ n: 1 }, { n: 2 }]);
    await expect(history.status()).resolves.toMatchObject({ backlog: 2 });
    await postgres().restart();
    await waitFor(async () => (await history.status()).backlog === 0, 'the catch-up', 30_000);
    const rows = await sql<{ id: string; state: string }>(
      postgres().url,
      `SELECT id, state FROM ${schema}.messages`,
    );
    expect(rows.sort((a, b) => a.id.localeCompare(b.id))).toEqual(
      sent.map(({ id }) => ({ id, state: 'waiting' })),
    );
  });

  it('two app instances writing at once share the work and write nothing twice', async () => {
    const queue = uniqueQueue('history-two');
    const schema = uniqueSchema();
    @QueueWorker(queue, { concurrency: 20 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {}
    }
    const [first, second] = await Promise.all([boot([Worker], schema), boot([Worker], schema)]);
    const sends = await Promise.all(
      [first, second].map((moduleRef) =>
        moduleRef.get(QueueSender).sendBatch(
          queue,
          Array.from({ length: 1_000 }, (_, i) => ({ i })),
        ),
      ),
    );
    await waitFor(
      async () => (await countInState(schema, queue, 'succeeded')) === 2_000,
      'every message',
      60_000,
    );
    // A read's `started` events go out on the command connection and an ack's `succeeded` may ride
    // the blocking one, so a `started` can reach the stream, and PostgreSQL, after the success.
    await waitFor(
      async () => (await eventCounts(schema, queue)).every((row) => Number(row.events) >= 3),
      'every event',
      60_000,
    );
    const counts = await eventCounts(schema, queue);
    expect(counts).toHaveLength(2_000);
    expect(new Set(counts.map((row) => row.message_id))).toEqual(
      new Set(sends.flat().map((sent) => sent.id)),
    );
    expect(counts.filter((row) => row.types !== 'sent,started,succeeded')).toEqual([]);
    // A late `started` never takes a finished message back to active.
    await expect(countInState(schema, queue, 'succeeded')).resolves.toBe(2_000);
  });

  it('search pages through 10,000 rows, each exactly once, in a stable order', async () => {
    const queue = uniqueQueue('history-pages');
    const schema = uniqueSchema();
    const moduleRef = await boot([], schema);
    const history = moduleRef.get(QueueHistory);
    await history.watch(queue);
    const sent = await moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: 10_000 }, (_, i) => ({ i })),
      { labels: { batch: 'big' } },
    );
    await waitFor(async () => (await countInState(schema, queue, 'waiting')) === 10_000, 'every row', 60_000);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await history.search({ queue, labels: { batch: 'big' }, limit: 700, cursor });
      seen.push(...page.items.map((item) => item.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(Math.ceil(10_000 / 700));
    expect(seen).toHaveLength(10_000);
    expect(new Set(seen)).toEqual(new Set(sent.map((result) => result.id)));
  });
});
