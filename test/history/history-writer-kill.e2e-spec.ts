import { jest } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import pg from 'pg';
import { migrateHistorySchema } from '../../libs/valkey-queue/src/history/history-schema.js';
import { HISTORY_GROUP } from '../../libs/valkey-queue/src/history/history-writer.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { sql, uniqueSchema, usePostgres } from './history-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(120_000);

const fixture = fileURLToPath(new URL('./fixtures/history-writer-process.mjs', import.meta.url));
const loader = fileURLToPath(new URL('../workers/fixtures/ts-loader.mjs', import.meta.url));

/** An app whose only work is its history writer, in a child process named `podName` (its consumer). */
async function startWriterProcess(podName: string, config: Record<string, unknown>): Promise<ChildProcess> {
  const child = fork(fixture, [], {
    execArgv: ['--import', loader],
    env: { ...process.env, POD_NAME: podName, VQ_CHILD_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`writer process exited (${String(code)}) before ready: ${stderr}`);
  });
  await Promise.race([once(child, 'message'), exited]);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('history writer SIGKILLed mid-batch: every event reaches PostgreSQL exactly once (real Valkey, real PostgreSQL, child processes)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const children: ChildProcess[] = [];
  let client: Redis;

  beforeAll(() => {
    client = rawClient(valkey().url);
  });
  afterEach(async () => {
    await client.client('UNPAUSE');
    for (const child of children.splice(0)) await kill(child);
  });
  afterAll(async () => client.quit());

  it('killed after reading (commit pending) and again after committing (ack pending): after the restart, each message has its two events once', async () => {
    const queue = uniqueQueue('history-writer-kill');
    const schema = uniqueSchema();
    const stream = `{vq:${queue}}:history`;
    const url = postgres().url;
    const pool = new pg.Pool({ connectionString: url, max: 2 });
    await migrateHistorySchema(pool, schema);
    await pool.end();

    // 1,000 messages, each sent then succeeded: packed entries of 50 events (as the scripts write
    // them), and the first 100 sends as single-event entries (the format before packing).
    const ids = Array.from({ length: 1_000 }, (_, i) => `m-${i}`);
    const fill = client.pipeline();
    for (const id of ids.slice(0, 100)) fill.xadd(stream, '*', 'e', 'sent', 'id', id, 'attempt', '1');
    for (let start = 100; start < ids.length; start += 50)
      fill.xadd(stream, '*', ...ids.slice(start, start + 50).flatMap((id) => ['e', 'sent', 'id', id, 'attempt', '1'])); // prettier-ignore
    for (let start = 0; start < ids.length; start += 50)
      fill.xadd(stream, '*', ...ids.slice(start, start + 50).flatMap((id) => ['e', 'succeeded', 'id', id, 'attempt', '1'])); // prettier-ignore
    await fill.exec();
    const entries = await client.xlen(stream);

    const podName = `history-writer-${randomUUID().slice(0, 8)}`;
    const config = (name: string) => ({
      connection: valkey().connection,
      // application_name tells this process's PostgreSQL sessions apart from its predecessor's.
      postgres: `${url}?application_name=${name}`,
      schema,
      queue,
    });
    const pendingToWriter = async (): Promise<number> => {
      const [count] = (await client.xpending(stream, HISTORY_GROUP)) as [number];
      return count;
    };
    const waitingOnLock = async (name: string): Promise<number> =>
      Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`, [name]))[0].n); // prettier-ignore
    const eventsInPostgres = async (): Promise<number> =>
      Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM ${schema}.events`))[0].n);

    // The message rows are locked: each writer reads a batch, inserts its events, and waits there.
    const lock = new pg.Client({ connectionString: url });
    await lock.connect();
    await lock.query('BEGIN');
    await lock.query(`LOCK TABLE ${schema}.messages IN ACCESS EXCLUSIVE MODE`);

    // First process: killed with batches read from the stream, their transactions not committed.
    const first = await startWriterProcess(podName, config('writer-1'));
    children.push(first);
    await waitFor(async () => (await waitingOnLock('writer-1')) > 0, 'the first writer inside a transaction');
    expect(await pendingToWriter()).toBeGreaterThan(0);
    await kill(first);

    // Second process, same consumer name: it resumes those entries, and waits on the lock too.
    const second = await startWriterProcess(podName, config('writer-2'));
    children.push(second);
    await waitFor(
      async () => (await waitingOnLock('writer-2')) > 0,
      'the second writer inside a transaction',
    );
    // Valkey refuses writes for a while: the second writer commits, then cannot ack. Killed there.
    await client.client('PAUSE', 60_000, 'WRITE');
    await lock.query('COMMIT');
    await lock.end();
    await waitFor(async () => (await eventsInPostgres()) > 0, 'the second writer to commit');
    await kill(second);
    await client.client('UNPAUSE');
    await expect(client.xlen(stream)).resolves.toBe(entries); // nothing acked (and deleted) yet
    expect(await pendingToWriter()).toBeGreaterThan(0);

    // Third process: catches up.
    children.push(await startWriterProcess(podName, config('writer-3')));
    await waitFor(async () => (await client.xlen(stream)) === 0, 'the catch-up', 60_000);

    const counts = await sql<{ message_id: string; events: string; types: string }>(
      url,
      `SELECT message_id, count(*) AS events, string_agg(type, ',' ORDER BY type) AS types
         FROM ${schema}.events WHERE queue = $1 GROUP BY message_id`,
      [queue],
    );
    expect(counts).toHaveLength(ids.length);
    expect(new Set(counts.map((row) => row.message_id))).toEqual(new Set(ids));
    expect(counts.filter((row) => row.events !== '2' || row.types !== 'sent,succeeded')).toEqual([]);
    const states = await sql<{ state: string; n: string }>(
      url,
      `SELECT state, count(*) AS n FROM ${schema}.messages WHERE queue = $1 GROUP BY state`,
      [queue],
    );
    expect(states).toEqual([{ state: 'succeeded', n: String(ids.length) }]);
    await expect(pendingToWriter()).resolves.toBe(0);
  });
});
