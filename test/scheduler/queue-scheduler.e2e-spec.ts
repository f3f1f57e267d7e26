import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  InvalidQueueNameError,
  InvalidScheduleError,
  QueueScheduler,
  SerializationError,
  TICK_HEADER,
  VALKEY_QUEUE_CLIENT,
  ValkeyQueueModule,
  type ScheduleDefinition,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import { serverNow } from '../utils/delayed.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';

interface Tick {
  id: string;
  tick: number;
  payload: string;
}

describe('QueueScheduler (real Valkey)', () => {
  const valkey = useValkey();
  const instances: TestingModule[] = [];
  let reader: Redis;

  /** An app instance; `running: false` means its scheduler loop never starts (an instance that is down). */
  const instance = async ({ running = true } = {}): Promise<TestingModule> => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ValkeyQueueModule.forRoot({ connection: valkey().connection, scheduler: { pollInterval: 200 } }),
      ],
    }).compile();
    if (running) await moduleRef.init();
    instances.push(moduleRef);
    return moduleRef;
  };
  const closeAll = async (): Promise<void> => {
    await Promise.all(instances.splice(0).map((moduleRef) => moduleRef.close()));
  };
  const streamOf = (queue: string) => `{vq:${queue}}:stream`;
  const toTick = (fields: string[]): Tick => {
    const record: Record<string, string> = {};
    for (let i = 0; i < fields.length; i += 2) record[fields[i]] = fields[i + 1];
    return { id: record.id, tick: Number(JSON.parse(record.headers)[TICK_HEADER]), payload: record.payload };
  };
  /** Ticks on `queue` so far. */
  const ticksOn = async (queue: string): Promise<Tick[]> =>
    (await reader.xrange(streamOf(queue), '-', '+')).map(([, fields]) => toTick(fields));
  /** Blocks (XREAD, no polling) until `queue` holds at least `count` ticks. */
  const waitForTicks = async (queue: string, count: number): Promise<Tick[]> => {
    let seen = 0;
    for (let lastId = '0'; seen < count;) {
      const reply = await reader.xread('BLOCK', 15_000, 'STREAMS', streamOf(queue), lastId);
      if (!reply) throw new Error(`only ${seen} of ${count} ticks on ${queue}`);
      seen += reply[0][1].length;
      lastId = reply[0][1].at(-1)![0];
    }
    return ticksOn(queue);
  };
  const definition = (overrides: Partial<ScheduleDefinition> = {}): ScheduleDefinition => ({
    name: `s-${randomUUID()}`,
    queue: `q-${randomUUID()}`,
    every: 1_000,
    payload: { report: 'daily' },
    ...overrides,
  });

  beforeAll(() => {
    reader = rawClient(valkey().url);
  });
  afterEach(closeAll);
  afterAll(async () => reader.quit());

  it('fires a 1 s schedule once per tick across three instances for 10 s', async () => {
    const [first] = await Promise.all([instance(), instance(), instance()]);
    const schedule = definition();
    await first.get(QueueScheduler).upsert(schedule);

    const ticks = (await waitForTicks(schedule.queue, 10)).slice(0, 10);

    const times = ticks.map(({ tick }) => tick);
    expect(new Set(times).size).toBe(10); // no tick twice
    expect(times.slice(1).map((time, n) => time - times[n])).toEqual(Array(9).fill(1_000)); // none skipped
    expect(ticks.map(({ id }) => id)).toEqual(times.map((time) => `${schedule.name}:${time}`));
    expect(ticks.every(({ payload }) => payload === '{"report":"daily"}')).toBe(true);
  }, 30_000);

  it('keeps an identical upsert as is, and replaces a changed one', async () => {
    const scheduler = (await instance({ running: false })).get(QueueScheduler);
    const schedule = definition({ every: 60_000 });
    await scheduler.upsert(schedule);
    const [before] = await scheduler.list().then((all) => all.filter(({ name }) => name === schedule.name));
    await scheduler.upsert({ ...schedule });
    const [same] = await scheduler.list().then((all) => all.filter(({ name }) => name === schedule.name));
    expect(same.nextRunAt).toEqual(before.nextRunAt);

    await scheduler.upsert({ ...schedule, every: 120_000 });
    const mine = (await scheduler.list()).filter(({ name }) => name === schedule.name);
    expect(mine).toHaveLength(1);
    expect(mine[0].every).toBe(120_000);
    expect(mine[0].nextRunAt!.getTime()).toBeGreaterThan(before.nextRunAt!.getTime());
  });

  it('lists schedules with their next run, and removes them', async () => {
    const scheduler = (await instance({ running: false })).get(QueueScheduler);
    const schedule = definition({
      name: `cron-${randomUUID()}`,
      every: undefined,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    await scheduler.upsert(schedule);
    const info = (await scheduler.list()).find(({ name }) => name === schedule.name);
    expect(info).toMatchObject({
      queue: schedule.queue,
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
      runs: 0,
      catchUp: 'one',
      priority: 0,
    });
    expect(info).not.toHaveProperty('labels');
    expect(info!.nextRunAt!.getTime()).toBeGreaterThan(Date.now());

    await expect(scheduler.remove(schedule.name)).resolves.toBe(true);
    await expect(scheduler.remove(schedule.name)).resolves.toBe(false);
    expect((await scheduler.list()).some(({ name }) => name === schedule.name)).toBe(false);
  });

  it('stops ticking once removed', async () => {
    const scheduler = (await instance()).get(QueueScheduler);
    const schedule = definition({ every: 200 });
    await scheduler.upsert(schedule);
    await waitForTicks(schedule.queue, 1);
    await scheduler.remove(schedule.name);
    const afterRemove = (await ticksOn(schedule.queue)).length;
    // Another schedule's two ticks span well over one interval of the removed one.
    const witness = definition({ every: 200 });
    await scheduler.upsert(witness);
    await waitForTicks(witness.queue, 2);
    expect((await ticksOn(schedule.queue)).length).toBe(afterRemove);
  });

  describe('after an outage (ticks missed while no instance ran)', () => {
    /** A schedule whose first tick was 5.9 intervals ago: six ticks were missed, the last one 1.8 s ago. */
    const missedSix = async (catchUp: 'none' | 'one' | 'all'): Promise<ScheduleDefinition> => {
      const down = await instance({ running: false });
      const now = await serverNow(down.get<ValkeyClient>(VALKEY_QUEUE_CLIENT));
      const schedule = definition({ every: 2_000, startAt: now - 11_800, catchUp });
      await down.get(QueueScheduler).upsert(schedule);
      await instance(); // an instance comes back
      return schedule;
    };

    it('fires once for the whole missed period with catchUp "one" (the default)', async () => {
      const schedule = await missedSix('one');
      const [catchUp, next] = await waitForTicks(schedule.queue, 2);
      expect(next.tick - catchUp.tick).toBe(2_000); // then back on the normal beat
      expect(catchUp.tick).toBe((schedule.startAt as number) + 5 * 2_000); // the latest missed tick
    });

    it('fires every missed tick with catchUp "all"', async () => {
      const schedule = await missedSix('all');
      const ticks = await waitForTicks(schedule.queue, 6);
      const start = schedule.startAt as number;
      expect(ticks.slice(0, 6).map(({ tick }) => tick)).toEqual(
        [0, 1, 2, 3, 4, 5].map((n) => start + n * 2_000),
      );
    });

    it('fires none of them with catchUp "none"', async () => {
      const schedule = await missedSix('none');
      const [first] = await waitForTicks(schedule.queue, 1);
      expect(first.tick).toBe((schedule.startAt as number) + 6 * 2_000); // the first tick after the outage
    });

    it('survives a restart of every instance', async () => {
      const scheduler = (await instance()).get(QueueScheduler);
      const schedule = definition({ every: 300 });
      await scheduler.upsert(schedule);
      await waitForTicks(schedule.queue, 1);
      await closeAll();
      await instance(); // a fresh instance knows nothing locally, only what is in Valkey
      const ticks = await waitForTicks(schedule.queue, 3);
      expect(new Set(ticks.map(({ tick }) => tick)).size).toBe(ticks.length);
    });
  });

  it('ends after `limit` ticks', async () => {
    const scheduler = (await instance()).get(QueueScheduler);
    const schedule = definition({ every: 100, limit: 3 });
    await scheduler.upsert(schedule);
    await waitForTicks(schedule.queue, 3);
    const info = (await scheduler.list()).find(({ name }) => name === schedule.name);
    expect(info).toMatchObject({ runs: 3, nextRunAt: null });
    expect(info!.lastRunAt).toBeInstanceOf(Date);
  });

  it('fires 6-field cron patterns to the second', async () => {
    const scheduler = (await instance()).get(QueueScheduler);
    const schedule = definition({ every: undefined, cron: '* * * * * *' });
    await scheduler.upsert(schedule);
    const [first, second] = await waitForTicks(schedule.queue, 2);
    expect(first.tick % 1_000).toBe(0);
    expect(second.tick - first.tick).toBe(1_000);
  });

  it('rejects bad definitions before writing anything', async () => {
    const scheduler = (await instance({ running: false })).get(QueueScheduler);
    const before = await scheduler.list();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(scheduler.upsert(definition({ every: undefined, cron: '99 * * * *' }))).rejects.toThrow(
      InvalidScheduleError,
    );
    await expect(scheduler.upsert(definition({ timezone: 'Nowhere/City' }))).rejects.toThrow(
      /unknown time zone/,
    );
    await expect(scheduler.upsert(definition({ every: 0 }))).rejects.toThrow(/every must be a whole number/);
    await expect(scheduler.upsert(definition({ queue: 'bad queue' }))).rejects.toThrow(InvalidQueueNameError);
    await expect(scheduler.upsert(definition({ payload: circular }))).rejects.toThrow(SerializationError);
    await expect(scheduler.upsert(definition({ name: '' }))).rejects.toThrow(/name must be/);
    expect(await scheduler.list()).toEqual(before);
  });
});
