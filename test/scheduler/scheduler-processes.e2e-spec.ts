import { jest } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { QueueScheduler, TICK_HEADER, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { serverNow } from '../utils/delayed.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  SchedulerChild,
  type HandlerReport,
  type RunReport,
  type SchedulerChildConfig,
  type SchedulerChildReport,
} from './child-scheduler.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(240_000);

/** A tick as the fire data records it: the stream entry's envelope id and its `vq-tick` header. */
interface FiredTick {
  id: string;
  tick: number;
}

/** The fire data: every message a schedule appended to its queue's stream (workers do not trim it here). */
async function firedTicks(client: Redis, queue: string): Promise<FiredTick[]> {
  const entries = await client.xrange(`{vq:${queue}}:stream`, '-', '+');
  return entries.map(([, fields]) => {
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    return { id: field('id'), tick: Number(JSON.parse(field('headers'))[TICK_HEADER]) };
  });
}

/** Differences between consecutive ticks. */
const gaps = (ticks: number[]): number[] => ticks.slice(1).map((tick, n) => tick - ticks[n]);

describe('schedules across three processes, one of them SIGKILLed (real Valkey, child processes)', () => {
  const valkey = useValkey();
  const children: SchedulerChild[] = [];
  let client: Redis;
  let admin: TestingModule | undefined;

  beforeAll(() => {
    client = rawClient(valkey().url);
  });
  /** Schedules a test created, removed after it even when it failed (the cluster run shares one server). */
  const created: string[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.kill('SIGKILL');
      await child.exited;
    }
    if (admin) for (const name of created.splice(0)) await admin.get(QueueScheduler).remove(name);
    await admin?.close();
    admin = undefined;
  });
  afterAll(async () => client.quit());

  /** Reports of the children and event-driven waits on them. */
  interface Harness {
    base: SchedulerChildConfig;
    of: {
      (type: 'start' | 'hang' | 'done'): HandlerReport[];
      (type: 'run' | 'run-hang'): RunReport[];
    };
    /** Resolves once `predicate` holds, checked now and after every report (no polling). */
    until(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
    /** From a module that is not initialised (no scheduler loop, no workers): to remove schedules. */
    scheduler: QueueScheduler;
  }

  /**
   * Three processes with the same two schedules: an interval schedule (ticks at .500 of each second,
   * handled by a @QueueWorker) and a @Scheduled method (cron every second, ticks at .000). Half a
   * second apart, so a process killed in the middle of one is not in the middle of the other.
   */
  async function threeProcesses(): Promise<Harness> {
    const now = await serverNow(client);
    const base: SchedulerChildConfig = {
      connection: valkey().connection,
      schedule: {
        name: `beat-${randomUUID()}`,
        queue: `ticks-${randomUUID()}`,
        every: 1_000,
        startAt: Math.floor(now / 1_000) * 1_000 + 500,
        payload: { beat: true },
      },
      scheduledName: `scheduled-${randomUUID()}`,
      claimIdle: 2_000,
      handlerMs: 200,
    };
    created.push(base.schedule.name, base.scheduledName);
    const reports: SchedulerChildReport[] = [];
    const waiters = new Set<() => void>();
    const until = (predicate: () => boolean, what: string, timeoutMs = 60_000): Promise<void> =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${what}\n${children.map((c) => c.errors).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    const onReport = (report: SchedulerChildReport): void => {
      reports.push(report);
      for (const check of [...waiters]) check();
    };
    admin ??= await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: valkey().connection })],
    }).compile(); // not initialised: no scheduler loop, no workers, just the API
    children.push(...[0, 1, 2].map(() => new SchedulerChild(base, onReport)));
    await Promise.all(children.map((child) => child.ready.promise));
    return {
      base,
      of: ((type: SchedulerChildReport['type']) =>
        reports.filter((report) => report.type === type)) as Harness['of'],
      until,
      scheduler: admin.get(QueueScheduler),
    };
  }

  it('fires every tick once across the processes and keeps the beat when one dies mid-run', async () => {
    const { base, of, until, scheduler } = await threeProcesses();
    const { schedule, scheduledName } = base;
    const every = schedule.every;
    const readyAt = await serverNow(client);
    const [victim, ...survivors] = children;
    const survivorPids = new Set(survivors.map((child) => child.pid));

    // After three ticks with every process up, SIGKILL one in the middle of a handler: its tick
    // stays pending to the dead consumer.
    await until(() => of('done').filter(({ tick }) => tick > readyAt).length >= 3, 'three ticks');
    victim.hangOnNextMessage();
    await until(() => of('hang').length > 0, 'the process to hang in a handler');
    victim.kill('SIGKILL');
    await victim.exited;
    const [hung] = of('hang');
    expect(hung.pid).toBe(victim.pid);
    const killedAt = await serverNow(client);

    // The survivors go on: ten ticks in all (five or more after the kill), the hung one taken over,
    // and five more @Scheduled runs.
    await until(
      () =>
        new Set(of('done').map(({ id }) => id)).size >= 10 &&
        of('done').filter(({ tick, pid }) => tick > hung.tick && survivorPids.has(pid)).length >= 5 &&
        of('done').some(({ id }) => id === hung.id) &&
        of('run').filter(({ tick }) => tick > killedAt).length >= 5,
      'the survivors to carry on',
    );

    // Fire data and the schedule's own run count agree (one atomic snapshot), then both stop.
    const [[, runs], [, length]] = (await client
      .multi()
      .hget(`{vq:${schedule.queue}}:schedule:${schedule.name}`, 'runs')
      .xlen(`{vq:${schedule.queue}}:stream`)
      .exec()) as [[null, string], [null, number]];
    expect(Number(runs)).toBe(length);
    await expect(scheduler.remove(schedule.name)).resolves.toBe(true);
    await expect(scheduler.remove(scheduledName)).resolves.toBe(true);

    const fired = await firedTicks(client, schedule.queue);
    const firedRuns = await firedTicks(client, `scheduled.${scheduledName}`);
    await until(
      () =>
        fired.every(({ id }) => of('done').some((done) => done.id === id)) &&
        firedRuns.every(({ tick }) => of('run').some((run) => run.tick === tick)),
      'every fired tick to be handled',
    );

    // Interval schedule: each tick fired once (no tick twice, none skipped, across the kill), on the beat.
    const ticks = fired.map(({ tick }) => tick);
    expect(ticks.length).toBeGreaterThanOrEqual(10);
    expect(gaps(ticks)).toEqual(Array(ticks.length - 1).fill(every));
    expect(ticks.every((tick) => (tick - schedule.startAt) % every === 0)).toBe(true);
    expect(fired.map(({ id }) => id)).toEqual(ticks.map((tick) => `${schedule.name}:${tick}`));
    expect(ticks).toContain(hung.tick);
    expect(ticks.filter((tick) => tick > hung.tick).length).toBeGreaterThanOrEqual(5);

    // Its worker: every tick handled (at least once: the at-least-once guarantee), the one killed
    // mid-run taken over by a survivor as a second attempt, and nothing handled by the dead process after.
    const handled = new Set(of('done').map(({ id }) => id));
    expect(fired.filter(({ id }) => !handled.has(id))).toEqual([]);
    const takenOver = of('done').filter(({ id }) => id === hung.id);
    expect(takenOver).toEqual([expect.objectContaining({ attempt: 2 })]);
    expect(survivorPids.has(takenOver[0].pid)).toBe(true);
    expect(of('done').filter(({ pid, tick }) => pid === victim.pid && tick >= hung.tick)).toEqual([]);

    // @Scheduled (cron every second): each fired tick ran exactly once, on one process, none skipped.
    const runTicks = firedRuns.map(({ tick }) => tick);
    expect(runTicks.length).toBeGreaterThanOrEqual(8);
    expect(gaps(runTicks)).toEqual(Array(runTicks.length - 1).fill(1_000));
    expect(runTicks.every((tick) => tick % 1_000 === 0)).toBe(true);
    const ranTicks = of('run').map(({ tick }) => tick);
    expect([...ranTicks].sort((a, b) => a - b)).toEqual(runTicks);
    expect(of('run').filter(({ pid, tick }) => pid === victim.pid && tick > killedAt)).toEqual([]);

    // Graceful shutdown of the survivors (SIGTERM), not the fallback SIGKILL.
    await Promise.all(survivors.map((child) => child.stop()));
    expect(survivors.map((child) => child.process.signalCode ?? child.process.exitCode)).toEqual([
      'SIGTERM',
      'SIGTERM',
    ]);
  });

  it('never re-runs a @Scheduled run killed mid-way; its run lock holds the schedule until it lapses', async () => {
    const { base, of, until, scheduler } = await threeProcesses();
    const readyAt = await serverNow(client);
    await until(() => of('run').filter(({ tick }) => tick > readyAt).length >= 2, 'two runs');

    // Whichever process gets the next tick hangs in the run (holding the run lock) and is killed.
    children.forEach((child) => child.hangOnNextRun());
    await until(() => of('run-hang').length > 0, 'a run to hang');
    const [hung] = of('run-hang');
    const victim = children.find((child) => child.pid === hung.pid)!;
    const survivors = children.filter((child) => child !== victim);
    survivors.forEach((child) => child.disarm()); // ticks are skipped before the method while the lock is held
    victim.kill('SIGKILL');
    await victim.exited;

    // Its tick is never run again: once the dead consumer's claimIdle passes, a survivor reclaims it
    // as a second delivery, over the limit of a @Scheduled tick (no retries), so it is a dead letter.
    const deadKey = `{vq:scheduled.${base.scheduledName}}:dead`;
    const dead = await client.xread('BLOCK', 30_000, 'STREAMS', deadKey, '0');
    expect(dead).not.toBeNull();
    const [[, [[, fields]]]] = dead!;
    const letter = Object.fromEntries(fields.flatMap((value, n) => (n % 2 ? [] : [[value, fields[n + 1]]])));
    expect(letter).toMatchObject({ id: `${base.scheduledName}:${hung.tick}`, reason: 'dead' });
    expect(letter.error).toMatch(/without completing/);

    // The dead run's lock (30 s, no longer renewed) makes the next ticks skip; then runs resume.
    await until(() => of('run').filter(({ tick }) => tick > hung.tick).length >= 3, 'runs to resume', 90_000);
    await scheduler.remove(base.scheduledName);
    await scheduler.remove(base.schedule.name);

    const ran = of('run').map(({ tick }) => tick);
    expect(new Set(ran).size).toBe(ran.length); // no tick ran twice
    expect(ran).not.toContain(hung.tick); // the interrupted run was not repeated
    const resumed = Math.min(...ran.filter((tick) => tick > hung.tick));
    expect(resumed - hung.tick).toBeGreaterThanOrEqual(20_000); // skipped while the lock was held
    expect(resumed - hung.tick).toBeLessThanOrEqual(40_000); // and no longer
    const fired = (await firedTicks(client, `scheduled.${base.scheduledName}`)).map(({ tick }) => tick);
    expect(gaps(fired)).toEqual(Array(fired.length - 1).fill(1_000)); // ticks kept firing all along
    const missed = fired.filter((tick) => tick >= resumed && !ran.includes(tick));
    expect(missed.length).toBeLessThanOrEqual(1); // the last one may not have run before the removal
  });
});
