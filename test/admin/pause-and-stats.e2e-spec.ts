import { QueueAdmin } from 'nestjs-valkey-queue';
import {
  addDeadLetters,
  appendAll,
  bootQueueModule,
  envelopeFields,
  sharedClient,
  testEnvelope,
  useAdmin,
} from './dead-letter-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';

describe('QueueAdmin pause, resume and stats (real Valkey)', () => {
  const valkey = useValkey();
  const state = useAdmin(() => valkey().url);

  /** Appends `count` messages to the queue's stream. */
  const sendRaw = (count: number) =>
    appendAll(
      state.client,
      state.keys.stream,
      Array.from({ length: count }, () => envelopeFields(testEnvelope({ attempt: 1 }))),
    );
  /** Delivers up to `count` new entries to `consumer` of `group` (they become pending). */
  const deliver = (group: string, consumer: string, count: number) =>
    state.client.xreadgroup(
      'GROUP',
      group,
      consumer,
      'COUNT',
      count,
      'STREAMS',
      state.keys.stream,
      '>',
    ) as Promise<[string, [string, string[]][]][] | null>;

  describe('pause and resume', () => {
    it('are seen by another instance on the same server, and both are idempotent', async () => {
      const { client, admin, keys } = state;
      const { queue } = keys;
      const other = await bootQueueModule(valkey().url);
      try {
        const otherAdmin = other.get(QueueAdmin);

        await admin.pause(queue);
        await admin.pause(queue);
        await expect(sharedClient(other).exists(keys.paused)).resolves.toBe(1);
        await expect(otherAdmin.stats(queue)).resolves.toMatchObject({ paused: true });
        await expect(client.pttl(keys.paused)).resolves.toBe(-1);

        await otherAdmin.resume(queue);
        await expect(client.exists(keys.paused)).resolves.toBe(0);
        await expect(admin.stats(queue)).resolves.toMatchObject({ paused: false });
        await expect(otherAdmin.resume(queue)).resolves.toBeUndefined();
      } finally {
        await other.close();
      }
    });

    it('pauses one queue only', async () => {
      const { admin, keys } = state;
      const { queue } = keys;
      const neighbour = `${queue}-b`;
      await admin.pause(queue);

      await expect(admin.stats(neighbour)).resolves.toMatchObject({ paused: false });
      await admin.resume(queue);
    });
  });

  describe('stats', () => {
    it('reads zeros for a queue that does not exist yet', async () => {
      const { admin, keys } = state;
      const { queue } = keys;
      await expect(admin.stats(queue)).resolves.toEqual({
        queue,
        length: 0,
        waitingByPriority: {},
        orderingKeys: { ready: 0, leased: 0, parked: 0 },
        pending: 0,
        lag: 0,
        consumers: 0,
        deadLetters: 0,
        processed: 0,
        failed: 0,
        retried: 0,
        dead: 0,
        broken: 0,
        expired: 0,
        redriven: 0,
        delayed: 0,
        paused: false,
        streamLength: 0,
        groups: [],
      });
    });

    it('counts every waiting entry as length when no group reads the stream yet', async () => {
      const { admin, keys } = state;
      const { queue } = keys;
      await sendRaw(6);

      await expect(admin.stats(queue)).resolves.toMatchObject({
        length: 6,
        lag: 0,
        pending: 0,
        consumers: 0,
        streamLength: 6,
      });
    });

    it('reports a group with pending entries, lag, consumers, dead letters, delayed and counters', async () => {
      const { client, admin, keys } = state;
      const { queue } = keys;
      const ids = await sendRaw(8);
      await client.xgroup('CREATE', keys.stream, 'workers', '0');
      await deliver('workers', 'worker-a', 3);
      await deliver('workers', 'worker-b', 2);
      await client.xack(keys.stream, 'workers', ids[0]);
      await addDeadLetters(client, keys.dead, 4);
      await client
        .pipeline()
        .hincrby(keys.stats, 'processed', 7)
        .hincrby(keys.stats, 'failed', 3)
        .hincrby(keys.stats, 'retried', 2)
        .hincrby(keys.stats, 'dead', 1)
        .hincrby(keys.stats, 'broken', 1)
        .hincrby(keys.stats, 'expired', 2)
        .zadd(keys.delayed, Date.now() + 60_000, 'later-1', Date.now() + 90_000, 'later-2')
        .exec();
      await admin.pause(queue);

      await expect(admin.stats(queue)).resolves.toEqual({
        queue,
        length: 3,
        waitingByPriority: { 0: 3 },
        orderingKeys: { ready: 0, leased: 0, parked: 0 },
        pending: 4,
        lag: 3,
        consumers: 2,
        deadLetters: 4,
        processed: 7,
        failed: 3,
        retried: 2,
        dead: 1,
        broken: 1,
        expired: 2,
        redriven: 0,
        delayed: 2,
        paused: true,
        streamLength: 8,
        groups: [
          {
            name: 'workers',
            consumers: 2,
            pending: 4,
            lag: 3,
            lagEstimated: false,
            lastDeliveredId: ids[4],
          },
        ],
      });
    });

    it('sums pending and consumers over groups and takes the slowest group for lag', async () => {
      const { client, admin, keys } = state;
      const { queue } = keys;
      await sendRaw(5);
      await client.xgroup('CREATE', keys.stream, 'fast', '0');
      await client.xgroup('CREATE', keys.stream, 'slow', '0');
      await deliver('fast', 'f1', 4);
      await deliver('slow', 's1', 1);
      await deliver('slow', 's2', 1);

      const stats = await admin.stats(queue);

      expect(stats).toMatchObject({ length: 3, lag: 3, pending: 6, consumers: 3 });
      expect(stats.groups.map(({ name, lag }) => [name, lag])).toEqual([
        ['fast', 1],
        ['slow', 3],
      ]);
    });

    it('estimates the lag when deleted entries ahead of the group keep the server from computing it', async () => {
      const { client, admin, keys } = state;
      const { queue } = keys;
      const ids = await sendRaw(5);
      await client.xgroup('CREATE', keys.stream, 'workers', '0');
      await deliver('workers', 'worker-a', 2);
      await client.xdel(keys.stream, ids[3]);

      const stats = await admin.stats(queue);

      expect(stats.groups).toEqual([expect.objectContaining({ lag: 2, lagEstimated: true, pending: 2 })]);
      expect(stats).toMatchObject({ length: 2, lag: 2, pending: 2, streamLength: 4 });
    });

    it('adds the list length for list-transport queues', async () => {
      const { client, admin, keys } = state;
      const { queue } = keys;
      await client.lpush(keys.list, 'a', 'b', 'c');

      await expect(admin.stats(queue)).resolves.toMatchObject({ length: 3, streamLength: 0 });
    });
  });
});
