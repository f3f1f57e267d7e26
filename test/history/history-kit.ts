import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { QueueHistory, type HistoryRecord } from 'nestjs-valkey-queue';
import { startPostgres, type StartedPostgres } from 'nestjs-valkey-queue/testing';
import { waitFor } from '../workers/worker-test-kit.js';

/** A PostgreSQL server for the suite (started before its tests, stopped after them), and a schema per test. */
export function usePostgres(): () => StartedPostgres {
  let server: StartedPostgres | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('usePostgres: the server is not started yet (call it inside a test)');
    return server;
  };
}

/** A fresh schema name, so tests sharing a server never see each other's rows. */
export const uniqueSchema = (): string => `h_${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/** Runs one SQL statement on its own connection. */
export async function sql<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Waits until the history holds `id` with `check` true of it (the writer drains in the background). */
export async function historyOf(
  moduleRef: TestingModule,
  id: string,
  check: (record: HistoryRecord) => boolean,
  what: string,
): Promise<HistoryRecord> {
  const history = moduleRef.get(QueueHistory);
  let found: HistoryRecord | undefined;
  await waitFor(async () => {
    found = await history.get(id);
    return found !== undefined && check(found);
  }, what);
  return found!;
}

/** The event types of a record's timeline, in order. */
export const timeline = (record: HistoryRecord): string[] => record.events.map((event) => event.type);
