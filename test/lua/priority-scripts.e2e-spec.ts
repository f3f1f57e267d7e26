import type { Redis } from 'ioredis';
import { deadLetterFields, testEnvelope } from '../admin/dead-letter-fixtures.js';
import { delayedBody, envelopeFields } from '../utils/delayed.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { listElement, oldestFirst } from '../workers/list-test-kit.js';
import { waitFor } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

/** The priority keys `:p1` .. `:p10` of a queue key, in priority order (docs/key-layout.md, "Priorities"). */
const routes = (base: string): string[] => Array.from({ length: 10 }, (_, index) => `${base}:p${index + 1}`);

/** Stream fields with a `priority` field as a producer wrote it. */
const prioritized = (id: string, priority: string): string[] => [
  ...envelopeFields(id, '{}'),
  'priority',
  priority,
];

describe('priority scripts (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  let subscriber: Redis | undefined;
  afterEach(async () => {
    await subscriber?.quit();
    subscriber = undefined;
  });

  /** Messages published on `channel` from now on. */
  const listen = async (channel: string): Promise<string[]> => {
    subscriber = rawClient(valkey().url);
    const messages: string[] = [];
    subscriber.on('message', (_: string, message: string) => messages.push(message));
    await subscriber.subscribe(channel);
    return messages;
  };

  describe('read-priorities.lua', () => {
    /** Streams with the group, highest priority first, each holding `counts[i]` entries named `<i>-<n>`. */
    const streams = async (counts: number[]): Promise<string[]> => {
      const { client, keys } = state;
      const keysByPriority = counts.map((_, index) => `${keys.stream}:s${index}`);
      for (const [index, key] of keysByPriority.entries()) {
        await client.xgroup('CREATE', key, 'g', '0', 'MKSTREAM');
        for (let n = 0; n < counts[index]; n += 1) await client.xadd(key, '*', 'id', `${index}-${n}`);
      }
      return keysByPriority;
    };
    const read = (keys: string[], count: number, mode: 'strict' | 'weighted', weights: number[], seed = 42) =>
      state.client.vqReadPriorities(keys.length, ...keys, 'g', 'c1', count, '0', mode, seed, ...weights);
    /** The `id` fields read, per stream index (1-based, as the script answers). */
    const idsOf = (reply: unknown[]): Record<number, string[]> => {
      const byStream: Record<number, string[]> = {};
      for (let index = 0; index + 1 < reply.length; index += 2) {
        const entries = reply[index + 1] as [string, string[]][];
        const stream = Number(reply[index]);
        byStream[stream] = [...(byStream[stream] ?? []), ...entries.map(([, fields]) => fields[1])];
      }
      return byStream;
    };

    it('strict: takes from the highest stream first and fills from the next, oldest first, as pending to the consumer', async () => {
      const { client } = state;
      const keys = await streams([2, 0, 3]);
      await expect(read(keys, 4, 'strict', [3, 2, 1]).then(idsOf)).resolves.toEqual({
        1: ['0-0', '0-1'],
        3: ['2-0', '2-1'],
      });
      const [pendingHigh] = (await client.xpending(keys[0], 'g')) as [number];
      const [pendingLow] = (await client.xpending(keys[2], 'g')) as [number];
      expect([Number(pendingHigh), Number(pendingLow)]).toEqual([2, 2]);
      await expect(read(keys, 4, 'strict', [3, 2, 1]).then(idsOf)).resolves.toEqual({ 3: ['2-2'] });
      await expect(read(keys, 4, 'strict', [3, 2, 1])).resolves.toEqual([]);
    });

    it('weighted: shares proportional to the weights among the non-empty streams', async () => {
      const keys = await streams([1_200, 0, 1_200]);
      // Weights 11 (priority 10), 6 (priority 5, empty: its draws go to the others) and 1 (priority 0).
      const byStream = idsOf(await read(keys, 600, 'weighted', [11, 6, 1], 7));
      expect(byStream[2]).toBeUndefined();
      expect(byStream[1].length + byStream[3].length).toBe(600);
      const share = byStream[3].length / 600;
      expect(share).toBeGreaterThan(0.04);
      expect(share).toBeLessThan(0.13);
      // First in first out within each stream.
      expect(byStream[3]).toEqual(byStream[3].map((_, n) => `2-${n}`));
    });

    it('fails with NOGROUP when a stream has no group (the worker then creates it)', async () => {
      const { client, keys } = state;
      await client.xadd(`${keys.stream}:p3`, '*', 'id', 'x');
      await expect(read([`${keys.stream}:p3`], 1, 'strict', [4])).rejects.toThrow(/NOGROUP/);
    });
  });

  describe('list-take-priorities.lua', () => {
    const take = (lists: string[], count: number, mode: 'strict' | 'weighted', weights: number[]) => {
      const { client, keys } = state;
      return client.vqListTakePriorities(
        4 + lists.length,
        keys.inflight('c1'),
        keys.deliveries,
        keys.heartbeat('c1'),
        keys.consumers,
        ...lists,
        count,
        'c1',
        keys.list,
        60_000,
        mode,
        11,
        ...weights,
      ) as Promise<(string | number)[]>;
    };

    it('strict: moves from the highest list first, oldest first, counting deliveries and registering the consumer', async () => {
      const { client, keys } = state;
      const lists = [`${keys.list}:p9`, `${keys.list}:p1`, keys.list];
      const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((payload) => listElement(payload));
      await client.lpush(lists[0], a);
      await client.lpush(lists[2], b, c, d);
      await expect(take(lists, 3, 'strict', [10, 2, 1])).resolves.toEqual([0, a, 1, b, 1, c, 1]);
      await expect(oldestFirst(client, keys.inflight('c1'))).resolves.toEqual([a, b, c]);
      await expect(client.hget(keys.consumers, 'c1')).resolves.toBe(keys.list);
      await expect(client.exists(keys.heartbeat('c1'))).resolves.toBe(1);
      await expect(take(lists, 3, 'strict', [10, 2, 1])).resolves.toEqual([0, d, 1]);
      await expect(take(lists, 3, 'strict', [10, 2, 1])).resolves.toEqual([0]);
    });

    it('weighted: shares proportional to the weights among the non-empty lists', async () => {
      const { client, keys } = state;
      const lists = [`${keys.list}:p10`, `${keys.list}:p5`, keys.list];
      await client.lpush(lists[0], ...Array.from({ length: 1_000 }, (_, n) => listElement(`high-${n}`)));
      await client.lpush(lists[2], ...Array.from({ length: 1_000 }, (_, n) => listElement(`low-${n}`)));
      const reply = await take(lists, 600, 'weighted', [11, 6, 1]);
      const payloads = reply
        .filter((_, index) => index % 2 === 1)
        .map((element) => (JSON.parse(String(element)) as { payload: string }).payload);
      expect(payloads).toHaveLength(600);
      const lows = payloads.filter((payload) => payload.startsWith('low-'));
      expect(lows.length / 600).toBeGreaterThan(0.04);
      expect(lows.length / 600).toBeLessThan(0.13);
      expect(lows).toEqual(lows.map((_, n) => `low-${n}`));
    });
  });

  it('existing-keys.lua tells which keys exist', async () => {
    const { client, keys } = state;
    await client.xadd(`${keys.stream}:p2`, '*', 'a', '1');
    await client.lpush(`${keys.list}:p4`, 'x');
    await expect(
      client.vqExistingKeys(3, `${keys.stream}:p1`, `${keys.stream}:p2`, `${keys.list}:p4`),
    ).resolves.toEqual([0, 1, 1]);
  });

  describe('promote-due.lua with routing keys', () => {
    const promote = (target: string, mode: 'stream' | 'list', channel = '') =>
      state.client.vqPromoteDueRouted(
        14,
        state.keys.delayed,
        state.keys.bodies,
        target,
        state.keys.dead,
        ...routes(target),
        100,
        mode,
        channel,
      );

    it('appends each stream message to its priority stream, a malformed or absent priority to the queue stream, announcing new keys', async () => {
      const { client, keys } = state;
      const channel = `${keys.stream}:priorities`;
      const published = await listen(channel);
      const bodies: [string, string[]][] = [
        ['p4', prioritized('p4', '4')],
        ['p4b', prioritized('p4b', '4')],
        ['p10', prioritized('p10', '10')],
        ['bad', prioritized('bad', '11')],
        ['none', envelopeFields('none', '{}')],
      ];
      for (const [id, fields] of bodies) {
        await client.zadd(keys.delayed, 1, id);
        await client.hset(keys.bodies, id, delayedBody(fields));
      }
      await expect(promote(keys.stream, 'stream', channel)).resolves.toEqual([5, -1, expect.any(Number)]);
      const ids = async (key: string) =>
        (await client.xrange(key, '-', '+')).map(([, fields]) => fields[fields.indexOf('id') + 1]);
      await expect(ids(`${keys.stream}:p4`)).resolves.toEqual(['p4', 'p4b']);
      await expect(ids(`${keys.stream}:p10`)).resolves.toEqual(['p10']);
      await expect(ids(keys.stream)).resolves.toEqual(['bad', 'none']);
      // Fields verbatim.
      const [[, stored]] = await client.xrange(`${keys.stream}:p4`, '-', '+');
      expect(stored).toEqual(bodies[0][1]);
      // One announcement per priority key created, none for an existing key.
      await client.zadd(keys.delayed, 1, 'again');
      await client.hset(keys.bodies, 'again', delayedBody(prioritized('again', '4')));
      await promote(keys.stream, 'stream', channel);
      // Messages arrive in order: once this one is in, every earlier one is.
      await client.publish(channel, 'end');
      await waitFor(() => published.includes('end'), 'the announcements');
      // Same due time: promoted in member order (p10 before p4).
      expect(published).toEqual(['10', '4', 'end']);
    });

    it('pushes each list element to its priority list; without routing keys everything goes to the target', async () => {
      const { client, keys } = state;
      const high = JSON.stringify({ ...(JSON.parse(listElement('h')) as object), priority: 3 });
      const text = JSON.stringify({ ...(JSON.parse(listElement('t')) as object), priority: '3' });
      const bad = JSON.stringify({ ...(JSON.parse(listElement('b')) as object), priority: 'high' });
      const plain = listElement('p');
      for (const [id, element] of [
        ['h', high],
        ['t', text],
        ['b', bad],
        ['p', plain],
      ]) {
        await client.zadd(keys.delayed, 1, id);
        await client.hset(keys.bodies, id, element);
      }
      await expect(promote(keys.list, 'list')).resolves.toEqual([4, -1, expect.any(Number)]);
      await expect(oldestFirst(client, `${keys.list}:p3`)).resolves.toEqual([high, text]);
      await expect(oldestFirst(client, keys.list)).resolves.toEqual([bad, plain]);

      await client.zadd(keys.delayed, 1, 'h2');
      await client.hset(keys.bodies, 'h2', high);
      await client.vqPromoteDue(keys.delayed, keys.bodies, keys.list, keys.dead, 100, 'list');
      await expect(client.lindex(keys.list, 0)).resolves.toBe(high);
    });
  });

  it('redrive.lua puts an entry back on its priority stream when given routing keys', async () => {
    const { client, keys } = state;
    const urgent = testEnvelope({ id: 'urgent' });
    const plain = testEnvelope({ id: 'plain' });
    const first = await client.xadd(keys.dead, '*', ...deadLetterFields(urgent), 'priority', '6');
    const second = await client.xadd(keys.dead, '*', ...deadLetterFields(plain));
    const statuses = await client.vqRedrive(
      15,
      keys.dead,
      keys.stream,
      keys.stats,
      keys.done('urgent'),
      keys.done('plain'),
      ...routes(keys.stream),
      Date.now(),
      first!,
      second!,
    );
    expect(statuses).toEqual([1, 1]);
    const [[, fields]] = await client.xrange(`${keys.stream}:p6`, '-', '+');
    expect(fields).toEqual(expect.arrayContaining(['id', 'urgent', 'priority', '6']));
    const [[, plainFields]] = await client.xrange(keys.stream, '-', '+');
    expect(plainFields).toEqual(expect.arrayContaining(['id', 'plain']));
  });

  it('redrive-list.lua puts an element back on its priority list when given routing keys', async () => {
    const { client, keys } = state;
    const element = JSON.stringify({ ...(JSON.parse(listElement('u')) as object), priority: 2 });
    const entry = await client.xadd(keys.dead, '*', 'id', 'u', 'reason', 'dead');
    await expect(
      client.vqRedriveList(
        14,
        keys.dead,
        keys.list,
        keys.stats,
        keys.done('u'),
        ...routes(keys.list),
        entry!,
        element,
      ),
    ).resolves.toEqual([1]);
    await expect(oldestFirst(client, `${keys.list}:p2`)).resolves.toEqual([element]);
    await expect(client.exists(keys.list)).resolves.toBe(0);
  });

  it('list-hand-back.lua and list-reap.lua return each element to the head of its priority list', async () => {
    const { client, keys } = state;
    const urgent = JSON.stringify({ ...(JSON.parse(listElement('u')) as object), priority: 8 });
    const plain = listElement('p');
    const waiting = JSON.stringify({ ...(JSON.parse(listElement('w')) as object), priority: 8 });
    await client.lpush(`${keys.list}:p8`, waiting);
    await client.lpush(keys.inflight('c1'), urgent, plain);
    await expect(
      client.vqListHandBackRouted(
        13,
        keys.inflight('c1'),
        keys.list,
        keys.deliveries,
        ...routes(keys.list),
        '1',
        urgent,
        plain,
      ),
    ).resolves.toBe(2);
    await expect(oldestFirst(client, `${keys.list}:p8`)).resolves.toEqual([urgent, waiting]);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([plain]);

    // A dead consumer's in-flight list: same routing.
    const late = JSON.stringify({ ...(JSON.parse(listElement('l')) as object), priority: 8 });
    await client.lpush(keys.inflight('dead'), late);
    await client.hset(keys.consumers, 'dead', keys.list);
    await expect(
      client.vqListReap(
        15,
        keys.consumers,
        keys.list,
        keys.deliveries,
        keys.heartbeat('dead'),
        keys.inflight('dead'),
        ...routes(keys.list),
        keys.list,
        100,
        'dead',
      ),
    ).resolves.toEqual([1]);
    await expect(oldestFirst(client, `${keys.list}:p8`)).resolves.toEqual([late, urgent, waiting]);
  });

  it("upsert-schedule.lua stores a tick's priority only when given", async () => {
    const { client, keys } = state;
    const schedule = `${keys.stream}:schedule-test`;
    const upsert = (name: string, definition: string, priority?: number | '') =>
      client.vqUpsertSchedule(
        `${keys.stream}:schedules`,
        `${schedule}:${name}`,
        name,
        definition,
        '{}',
        '1',
        '{}',
        'stream',
        -1,
        '',
        priority,
      );
    await upsert('a', 'd1', 5);
    await upsert('b', 'd2', '');
    await upsert('c', 'd3');
    await expect(client.hget(`${schedule}:a`, 'priority')).resolves.toBe('5');
    await expect(client.hexists(`${schedule}:b`, 'priority')).resolves.toBe(0);
    await expect(client.hexists(`${schedule}:c`, 'priority')).resolves.toBe(0);
  });
});
