import pg from 'pg';
import { startPostgres, type StartedPostgres } from 'nestjs-valkey-queue/testing';

const query = async (url: string, sql: string): Promise<unknown[]> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
};

describe('startPostgres() (real PostgreSQL)', () => {
  let postgres: StartedPostgres;

  beforeAll(async () => {
    postgres = await startPostgres();
  });

  afterAll(async () => {
    await postgres?.stop();
  });

  it('serves a database at its url', async () => {
    expect(postgres.url).toMatch(/^postgres:\/\//);
    await expect(query(postgres.url, 'SELECT 1 AS one')).resolves.toEqual([{ one: 1 }]);
  });

  it('keeps committed rows through kill() and restart()', async () => {
    if (postgres.source === 'env') return; // a shared DATABASE_URL server cannot be killed
    await query(postgres.url, 'CREATE TABLE survivors (n int); INSERT INTO survivors VALUES (42)');
    await postgres.kill();
    expect(postgres.pid).toBeUndefined();
    await expect(query(postgres.url, 'SELECT 1')).rejects.toThrow();
    await postgres.restart();
    await expect(query(postgres.url, 'SELECT n FROM survivors')).resolves.toEqual([{ n: 42 }]);
  });

  it('stop() is idempotent and frees the server', async () => {
    const own = await startPostgres();
    await own.stop();
    await own.stop();
    await expect(query(own.url, 'SELECT 1')).rejects.toThrow();
    await expect(own.kill()).rejects.toThrow(/after stop/);
  });
});
