import type { HistoryPool } from '../interfaces/history-options.interface.js';

/** The schema version this release writes; older versions are migrated step by step at boot. */
export const HISTORY_SCHEMA_VERSION = 1;
const DAY_MS = 86_400_000;
/** Daily event partitions created ahead of time, so a writer never waits on DDL. */
const DAYS_AHEAD = 2;

/**
 * Creates or migrates the history tables in `schema`, under a transaction-scoped advisory lock (two
 * replicas booting at once: one migrates, the other waits and then finds the version current).
 * docs/history.md describes the tables. @internal
 */
export async function migrateHistorySchema(pool: HistoryPool, schema: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`valkey-queue-history:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_version (version int NOT NULL)`);
    const { rows } = await client.query(`SELECT max(version) AS version FROM ${schema}.schema_version`);
    const current = Number((rows[0] as { version: number | null }).version ?? 0);
    for (const [index, step] of MIGRATIONS.entries()) {
      if (index + 1 <= current) continue;
      for (const statement of step(schema)) await client.query(statement);
      await client.query(`INSERT INTO ${schema}.schema_version (version) VALUES ($1)`, [index + 1]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  await ensurePartitions(pool, schema, Date.now());
}

/** Migration steps: step i takes the schema from version i to i + 1. Never edit a released step. */
const MIGRATIONS: ((schema: string) => string[])[] = [
  (s) => [
    `CREATE TABLE ${s}.messages (
      queue text NOT NULL, id text NOT NULL, state text NOT NULL, priority int NOT NULL DEFAULT 0,
      labels jsonb NOT NULL DEFAULT '{}', attempts int NOT NULL DEFAULT 0,
      created_ms bigint NOT NULL, updated_ms bigint NOT NULL, finished_ms bigint,
      error text, error_lower text, payload bytea, last_event numeric NOT NULL,
      PRIMARY KEY (queue, id))`,
    `CREATE INDEX messages_created ON ${s}.messages (created_ms DESC, queue DESC, id DESC)`,
    `CREATE INDEX messages_queue_created ON ${s}.messages (queue, created_ms DESC, id DESC)`,
    `CREATE INDEX messages_state_created ON ${s}.messages (state, created_ms DESC)`,
    `CREATE INDEX messages_id ON ${s}.messages (id)`,
    `CREATE INDEX messages_labels ON ${s}.messages USING gin (labels jsonb_path_ops)`,
    `CREATE TABLE ${s}.events (
      queue text NOT NULL, event_id text NOT NULL, at_ms bigint NOT NULL, message_id text NOT NULL,
      type text NOT NULL, attempt int, error text, detail jsonb,
      PRIMARY KEY (queue, event_id, at_ms)) PARTITION BY RANGE (at_ms)`,
    `CREATE TABLE ${s}.events_default PARTITION OF ${s}.events DEFAULT`,
    `CREATE INDEX events_message ON ${s}.events (queue, message_id, at_ms)`,
  ],
];

const partitionName = (schema: string, dayStart: number): string =>
  `${schema}.events_${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;

/** Creates the daily event partitions from yesterday to DAYS_AHEAD days on. @internal */
export async function ensurePartitions(pool: HistoryPool, schema: string, now: number): Promise<void> {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (let day = today - DAY_MS; day <= today + DAYS_AHEAD * DAY_MS; day += DAY_MS) {
    await pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${partitionName(schema, day)} PARTITION OF ${schema}.events ` +
          `FOR VALUES FROM (${day}) TO (${day + DAY_MS})`,
      )
      // Two writers racing to create the same partition: the loser's error is harmless.
      .catch((error: unknown) => {
        if (!/already exists/.test(String(error))) throw error;
      });
  }
}

/**
 * Retention: drops every daily event partition wholly older than `now - retentionMs`, and deletes the
 * message rows last updated before then. Returns the partitions dropped. @internal
 */
export async function applyRetention(
  pool: HistoryPool,
  schema: string,
  retentionMs: number,
  now: number,
): Promise<string[]> {
  const cutoff = now - retentionMs;
  const { rows } = await pool.query(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
       JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = $1 AND p.relname = 'events'`,
    [schema],
  );
  const dropped: string[] = [];
  for (const { name, bound } of rows as { name: string; bound: string }[]) {
    const to = /TO \('?(\d+)'?\)/.exec(bound)?.[1];
    if (to !== undefined && Number(to) <= cutoff) {
      await pool.query(`DROP TABLE IF EXISTS ${schema}.${name}`);
      dropped.push(name);
    }
  }
  await pool.query(`DELETE FROM ${schema}.events_default WHERE at_ms < $1`, [cutoff]);
  await pool.query(`DELETE FROM ${schema}.messages WHERE updated_ms < $1`, [cutoff]);
  return dropped;
}
