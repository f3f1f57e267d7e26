import { jest } from '@jest/globals';
import {
  InvalidScheduleError,
  OnMessage,
  QueueScheduler,
  QueueWorker,
  SCHEDULE_HEADER,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { useWorkerApp } from '../workers/transport-kit.js';
import { keysOf, stats, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { orderedKeysOf, runsByKey } from './ordering-kit.js';

jest.setTimeout(60_000);

describe('per-key ordering: schedules with an orderingKey (real Valkey)', () => {
  const apps = useWorkerApp();

  it("a schedule's ticks carry its key and run in order with the key's other messages, one at a time", async () => {
    const queue = uniqueQueue('ordered-schedule');
    const name = `s-${queue}`;
    /** What ran, in handler start order: `<what>#<attempt>`. */
    const ran: string[] = [];
    const ledger: string[] = [];
    @QueueWorker(queue, { concurrency: 8, backoff: { type: 'fixed', delay: 1_500 } })
    class TickWorker {
      @OnMessage() async handle(message: QueueMessage<{ what: string }>): Promise<void> {
        const what = message.headers[SCHEDULE_HEADER] ? 'tick' : message.payload.what;
        const seq = ran.length;
        ran.push(`${what}#${message.attempt}`);
        ledger.push(`start|account:7|${seq}|me|${performance.now()}`);
        await sleep(5);
        ledger.push(`end|account:7|${seq}|me|${performance.now()}|1`);
        if (what === 'first' && message.attempt === 1) throw new Error('fails once');
      }
    }
    const { sender, client, moduleRef } = await apps.boot([TickWorker], { scheduler: { pollInterval: 50 } });
    const scheduler = moduleRef.get(QueueScheduler);

    // The key's first message fails once and is retried 1.5 s later: the ticks that fire meanwhile
    // wait behind it, then run in tick order, then a message sent after them.
    await sender.send(queue, { what: 'first' }, { orderingKey: 'account:7' });
    await waitFor(() => ran.length === 1, 'the first attempt');
    await scheduler.upsert({
      name,
      queue,
      every: 100,
      limit: 3,
      payload: { what: 'tick' },
      orderingKey: 'account:7',
    });
    await waitFor(
      async () => (await scheduler.list()).find((info) => info.name === name)?.runs === 3,
      'three ticks',
    );
    const [info] = (await scheduler.list()).filter((schedule) => schedule.name === name);
    expect(info.orderingKey).toBe('account:7');
    expect(ran).toEqual(['first#1']); // the ticks wait behind the failed head of their key
    await sender.send(queue, { what: 'last' }, { orderingKey: 'account:7' });
    await waitFor(async () => (await stats(client, queue)).processed === 5, 'every message');

    expect(ran).toEqual(['first#1', 'first#2', 'tick#1', 'tick#1', 'tick#1', 'last#1']);
    // One at a time: every run ended before the next started.
    const runs = runsByKey(ledger).get('account:7') ?? [];
    expect(runs.every((run, index) => index === 0 || runs[index - 1].endAt! < run.startAt)).toBe(true);
    // Tick messages went to the key's list, not the stream; nothing is left once handled.
    await expect(client.xlen(keysOf(queue).stream)).resolves.toBe(0);
    const ordered = orderedKeysOf(queue);
    await waitFor(async () => (await client.exists(ordered.leases)) === 0, 'the last lease to end');
    await expect(client.exists(ordered.ready, ordered.list('account:7'))).resolves.toBe(0);
  });

  it('an orderingKey that is empty, too long, on the list transport or with a priority is refused; nothing is stored', async () => {
    const { moduleRef, client } = await apps.boot([]);
    const scheduler = moduleRef.get(QueueScheduler);
    const queue = uniqueQueue('ordered-schedule');
    const base = { name: `s-${queue}`, queue, every: 1_000, payload: {} };
    for (const bad of [
      { orderingKey: '' },
      { orderingKey: 'k'.repeat(257) },
      { orderingKey: 7 as unknown as string },
      { orderingKey: 'a', transport: 'list' as const },
      { orderingKey: 'a', priority: 3 },
    ]) {
      await expect(scheduler.upsert({ ...base, ...bad })).rejects.toThrow(InvalidScheduleError);
    }
    expect((await scheduler.list()).filter((schedule) => schedule.queue === queue)).toEqual([]);
    const tag = `{vq:${queue}}`;
    await expect(client.exists(`${tag}:schedules`, `${tag}:schedule:${base.name}`)).resolves.toBe(0);
  });
});
