import { Injectable } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  InvalidScheduleError,
  QueueAdmin,
  Scheduled,
  ValkeyQueueModule,
  type ScheduledRun,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { useValkey } from '../utils/use-valkey.js';

describe('@Scheduled (real Valkey)', () => {
  const valkey = useValkey();
  const instances: TestingModule[] = [];

  const startInstances = async (
    provider: new (...args: never[]) => unknown,
    count: number,
  ): Promise<TestingModule[]> => {
    const started = await Promise.all(
      Array.from({ length: count }, async () => {
        const moduleRef = await Test.createTestingModule({
          imports: [
            ValkeyQueueModule.forRoot({
              connection: valkey().connection,
              scheduler: { pollInterval: 100 },
            }),
          ],
          providers: [provider],
        }).compile();
        instances.push(moduleRef);
        await moduleRef.init();
        return moduleRef;
      }),
    );
    return started;
  };
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((moduleRef) => moduleRef.close()));
  });

  it('runs each tick exactly once across three instances', async () => {
    const name = `tick-${randomUUID()}`;
    const runs: { tickAt: number; instance: object }[] = [];
    const sixRuns = deferred();
    @Injectable()
    class Ticker {
      @Scheduled({ name, every: 400 })
      async tick(run: ScheduledRun): Promise<void> {
        runs.push({ tickAt: run.tickAt.getTime(), instance: this });
        if (runs.length === 6) sixRuns.resolve();
      }
    }
    await startInstances(Ticker, 3);

    await sixRuns.promise;

    const ticks = runs.slice(0, 6).map(({ tickAt }) => tickAt);
    expect(new Set(ticks).size).toBe(6);
    expect(ticks.slice(1).map((tick, n) => tick - ticks[n])).toEqual(Array(5).fill(400));
  });

  it('never overlaps a slow run with the next tick, on any instance', async () => {
    const name = `slow-${randomUUID()}`;
    let running = 0;
    let maxRunning = 0;
    let finished = 0;
    const threeFinished = deferred();
    @Injectable()
    class SlowJob {
      @Scheduled({ name, every: 150 })
      async work(): Promise<void> {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 600)); // the work itself: longer than the interval
        running -= 1;
        finished += 1;
        if (finished === 3) threeFinished.resolve();
      }
    }
    await startInstances(SlowJob, 3);

    await threeFinished.promise;

    expect(maxRunning).toBe(1);
  });

  it('logs and counts a failing run, and keeps ticking', async () => {
    const name = `failing-${randomUUID()}`;
    let calls = 0;
    const twoCalls = deferred();
    @Injectable()
    class Failing {
      @Scheduled({ name, every: 200 })
      async fail(): Promise<void> {
        calls += 1;
        if (calls === 2) twoCalls.resolve();
        throw new Error('the job failed');
      }
    }
    const [instance] = await startInstances(Failing, 1);

    await twoCalls.promise;

    const stats = await instance.get(QueueAdmin).stats(`scheduled.${name}`);
    expect(stats.dead).toBeGreaterThanOrEqual(1);
    const [deadLetter] = await instance.get(QueueAdmin).deadLetters(`scheduled.${name}`, { count: 1 });
    expect(deadLetter).toMatchObject({
      reason: 'dead',
      error: expect.stringContaining('the job failed'),
      attempts: 1,
    });
  });

  it('fails bootstrap on an invalid cron pattern', async () => {
    @Injectable()
    class Broken {
      @Scheduled({ name: `bad-${randomUUID()}`, cron: '75 * * * *' })
      async never(): Promise<void> {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: valkey().connection })],
      providers: [Broken],
    }).compile();
    instances.push(moduleRef);
    await expect(moduleRef.init()).rejects.toThrow(InvalidScheduleError);
  });

  it('fails bootstrap when two methods share a schedule name', async () => {
    const name = `twice-${randomUUID()}`;
    @Injectable()
    class Twice {
      @Scheduled({ name, every: 1_000 })
      async one(): Promise<void> {}
      @Scheduled({ name, every: 2_000 })
      async two(): Promise<void> {}
    }
    const moduleRef = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: valkey().connection })],
      providers: [Twice],
    }).compile();
    instances.push(moduleRef);
    await expect(moduleRef.init()).rejects.toThrow(/@Scheduled names must be unique/);
  });
});
