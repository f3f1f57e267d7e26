import { Test, type TestingModule } from '@nestjs/testing';
import { QueueHistory, QueueSender, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { sql, uniqueSchema, usePostgres } from './history-kit.js';

/** Keeps this process's event loop busy (20 ms of work per turn, timers still run between turns) for `ms`. */
async function busyFor(ms: number): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    const turnEnd = Math.min(until, performance.now() + 20);
    while (performance.now() < turnEnd); // the app's handlers, say
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('task history writer pacing: put off while the app is busy, written once it has room (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  const schema = uniqueSchema();
  const queue = uniqueQueue('history-pacing');
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({
          connection: valkey().connection,
          history: { postgres: { connectionString: postgres().url }, schema, maxBacklog: 1_000 },
        }),
      ],
    }).compile();
    await moduleRef.init();
    await moduleRef.get(QueueHistory).watch(queue);
  });

  afterAll(async () => {
    await moduleRef?.close();
  });

  const written = async (): Promise<number> =>
    Number((await sql<{ n: string }>(postgres().url, `SELECT count(*) AS n FROM ${schema}.events`))[0].n);

  it('leaves events in Valkey while the event loop is busy, then writes them all', async () => {
    await busyFor(400); // a whole pause of the writer's, busy: it is putting writing off now
    const busy = busyFor(1_500);
    await moduleRef.get(QueueSender).sendBatch(queue, [{ i: 1 }, { i: 2 }, { i: 3 }]);
    await busy;
    // The writer polls every 200 ms: unpaced, it would have written the sends long before now.
    await expect(written()).resolves.toBe(0);
    await waitFor(async () => (await written()) === 3, 'the writer to write the events once idle');
  });

  it('writes while busy once the backlog reaches a quarter of maxBacklog', async () => {
    const before = await written();
    let busyOver = false;
    await busyFor(400);
    const busy = busyFor(2_500).then(() => (busyOver = true));
    await moduleRef.get(QueueSender).sendBatch(
      queue,
      Array.from({ length: 300 }, (_, i) => ({ i })),
    );
    await waitFor(async () => (await written()) >= before + 300, 'the writer to write past its bound');
    expect(busyOver).toBe(false);
    await busy;
  });
});
