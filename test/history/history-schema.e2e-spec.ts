import pg from 'pg';
import {
  applyRetention,
  ensurePartitions,
  migrateHistorySchema,
} from '../../libs/valkey-queue/src/history/history-schema.js';
import { getHistory } from '../../libs/valkey-queue/src/history/history-query.js';
import { sql, uniqueSchema, usePostgres } from './history-kit.js';

const DAY = 86_400_000;

describe('history schema: migrations under an advisory lock, daily partitions and retention (real PostgreSQL)', () => {
  const postgres = usePostgres();
  let pool: pg.Pool;

  beforeAll(() => {
    pool = new pg.Pool({ connectionString: postgres().url, max: 8 });
    pool.on('error', () => undefined); // idle connections see the server stop at the end of the suite
  });

  afterAll(async () => {
    await pool?.end();
  });

  it('migrates once when several replicas boot at the same time', async () => {
    const schema = uniqueSchema();
    await Promise.all(Array.from({ length: 4 }, () => migrateHistorySchema(pool, schema)));
    await expect(sql(postgres().url, `SELECT version FROM ${schema}.schema_version`)).resolves.toEqual([
      { version: 1 },
    ]);
    await migrateHistorySchema(pool, schema); // a later boot finds it current
    await expect(
      sql(postgres().url, `SELECT count(*)::int AS n FROM ${schema}.schema_version`),
    ).resolves.toEqual([{ n: 1 }]);
  });

  it('drops whole event partitions past retention and deletes message rows last updated before it', async () => {
    const schema = uniqueSchema();
    await migrateHistorySchema(pool, schema);
    const now = Date.now();
    const old = now - 40 * DAY;
    await ensurePartitions(pool, schema, old);
    const event = (id: string, at: number) =>
      sql(postgres().url, `INSERT INTO ${schema}.events (queue, event_id, at_ms, message_id, type) VALUES ('q', $1, $2, $1, 'sent')`, [id, at]); // prettier-ignore
    const message = (id: string, at: number) =>
      sql(postgres().url, `INSERT INTO ${schema}.messages (queue, id, state, created_ms, updated_ms, last_event) VALUES ('q', $1, 'waiting', $2, $2, 0)`, [id, at]); // prettier-ignore
    await event('old', old);
    await event('far-past', now - 400 * DAY); // no partition of its own: the default partition
    await event('new', now);
    await message('old', old);
    await message('new', now);

    const dropped = await applyRetention(pool, schema, 30 * DAY, now);

    const day = (ms: number) =>
      new Date(Math.floor(ms / DAY) * DAY).toISOString().slice(0, 10).replaceAll('-', '');
    expect(dropped).toContain(`events_${day(old)}`);
    expect(dropped).not.toContain(`events_${day(now)}`);
    await expect(sql(postgres().url, `SELECT message_id FROM ${schema}.events`)).resolves.toEqual([
      { message_id: 'new' },
    ]);
    await expect(sql(postgres().url, `SELECT id FROM ${schema}.messages`)).resolves.toEqual([{ id: 'new' }]);
  });

  it('orders a timeline by stream sequence, not by the text of the event id', async () => {
    const schema = uniqueSchema();
    await migrateHistorySchema(pool, schema);
    const at = Date.now();
    await ensurePartitions(pool, schema, at);
    await sql(postgres().url, `INSERT INTO ${schema}.messages (queue, id, state, created_ms, updated_ms, last_event) VALUES ('q', 'm', 'dead', $1, $1, 0)`, [at]); // prettier-ignore
    // Sequence 9 then 10 of one millisecond: as text, "…-10" sorts before "…-9".
    // The third is the second event packed in the entry `…-10`.
    for (const [id, type] of [
      [`${at}-9`, 'sent'],
      [`${at}-10`, 'failed'],
      [`${at}-10.00001`, 'dead'],
    ]) {
      await sql(postgres().url, `INSERT INTO ${schema}.events (queue, event_id, at_ms, message_id, type) VALUES ('q', $1, $2, 'm', $3)`, [id, at, type]); // prettier-ignore
    }

    const record = await getHistory(pool, schema, 'm');

    expect(record?.events.map((event) => event.type)).toEqual(['sent', 'failed', 'dead']);
  });
});
