import { Test, type TestingModule } from '@nestjs/testing';
import {
  HistoryHealthIndicator,
  QueueHistory,
  QueueSender,
  ValkeyQueueHealthModule,
  ValkeyQueueMetrics,
  ValkeyQueueModule,
} from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { sql, uniqueSchema, usePostgres } from './history-kit.js';

describe('task history while PostgreSQL is down: backlog, health and metrics (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const schema = uniqueSchema();
  const queue = uniqueQueue('history-health');
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: valkey().connection,
          metrics: { enabled: true },
          history: { postgres: { connectionString: postgres().url }, schema, maxBacklog: 10 },
        }),
        ValkeyQueueHealthModule,
      ],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(QueueHistory).watch(queue);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  const health = async () => (await moduleRef.get(HistoryHealthIndicator).isHealthy('history')).history;
  const metric = async (name: string): Promise<number> => {
    const text = await moduleRef.get(ValkeyQueueMetrics).metrics();
    return Number(new RegExp(`^valkey_queue_${name} (\\S+)$`, 'm').exec(text)?.[1]);
  };
  const send = (n: number) =>
    moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: n }, (_, i) => ({ i })),
    );

  it('is up, then degraded while events wait, down past maxBacklog, and up after catching up', async () => {
    await expect(health()).resolves.toMatchObject({ status: 'up', backlog: 0, maxBacklog: 10 });

    await postgres().kill();
    await send(8);
    await waitFor(async () => 'error' in (await health()), 'the writer to meet the outage');
    await expect(health()).resolves.toMatchObject({
      status: 'degraded',
      backlog: 8,
      message: expect.stringMatching(/^history events wait in Valkey/),
    });
    await expect(metric('history_writer_failing')).resolves.toBe(1);

    await send(5);
    await expect(health()).resolves.toMatchObject({
      status: 'down',
      backlog: 13,
      message: 'history backlog 13 > maxBacklog 10',
    });
    await expect(metric('history_backlog')).resolves.toBe(13);

    await postgres().restart();
    await waitFor(async () => (await health()).status === 'up', 'caught up', 30_000);
    await expect(metric('history_backlog')).resolves.toBe(0);
    await expect(metric('history_writer_failing')).resolves.toBe(0);
    const [{ n }] = await sql<{ n: string }>(
      postgres().url,
      `SELECT count(*) AS n FROM ${schema}.messages WHERE queue = $1`,
      [queue],
    );
    expect(Number(n)).toBe(13);
  });
});
