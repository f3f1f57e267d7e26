import { useValkey } from '../utils/use-valkey.js';
import { scriptKeys, useScripts } from './lua-kit.js';

describe('schedule scripts: upsert-schedule, fire-schedule, remove-schedule (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    () => {
      const keys = scriptKeys();
      return { ...keys, schedules: `${keys.tag}:schedules`, schedule: `${keys.tag}:schedule:s` };
    },
  );

  const upsert = (definition: string, firstTick: number, labels = '') =>
    state.client.vqUpsertSchedule(
      state.keys.schedules,
      state.keys.schedule,
      's',
      definition,
      '{"every":1}',
      '{"p":1}',
      '{}',
      'stream',
      firstTick,
      labels,
    );
  const fire = (due: number, next: number, ...messages: string[][]) =>
    state.client.vqFireSchedule(
      state.keys.schedules,
      state.keys.schedule,
      state.keys.stream,
      's',
      due,
      next,
      'stream',
      messages[0]?.length ?? 1,
      messages.length > 0 ? due : '',
      ...messages.flat(),
    );

  describe('upsert-schedule.lua', () => {
    it('creates (1), keeps an identical definition with its runs (0), replaces a changed one (1)', async () => {
      const { client, keys } = state;
      await expect(upsert('def-a', 1000)).resolves.toBe(1);
      await client.hset(keys.schedule, 'runs', 7);
      await expect(upsert('def-a', 5000)).resolves.toBe(0);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBe('1000');
      await expect(client.hget(keys.schedule, 'runs')).resolves.toBe('7');

      await expect(upsert('def-b', 5000)).resolves.toBe(1);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBe('5000');
      await expect(client.hgetall(keys.schedule)).resolves.toEqual({
        definition: 'def-b',
        timing: '{"every":1}',
        payload: '{"p":1}',
        headers: '{}',
        transport: 'stream',
        runs: '0',
      });
    });

    it('stores the labels of the tick messages, and drops them when a new definition has none', async () => {
      const { client, keys } = state;
      await expect(upsert('def-labelled', 1000, '{"tenant":"acme"}')).resolves.toBe(1);
      await expect(client.hget(keys.schedule, 'labels')).resolves.toBe('{"tenant":"acme"}');
      await expect(upsert('def-plain', 1000)).resolves.toBe(1);
      await expect(client.hexists(keys.schedule, 'labels')).resolves.toBe(0);
    });

    it('stores a schedule with no tick left without scheduling it', async () => {
      const { client, keys } = state;
      await expect(upsert('ended', -1)).resolves.toBe(1);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBeNull();
    });
  });

  describe('fire-schedule.lua', () => {
    const message = (n: number) => [
      'v',
      '1',
      'id',
      `s:${n}`,
      'payload',
      '{"p":1}',
      'headers',
      '{}',
      'createdAt',
      `${n}`,
      'attempt',
      '1',
    ];

    it('appends the tick messages verbatim, counts the runs and advances the schedule', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      await expect(fire(1000, 2000, message(1000))).resolves.toBe(1);
      const [[, fields]] = await client.xrange(keys.stream, '-', '+');
      expect(fields).toEqual(message(1000));
      await expect(client.zscore(keys.schedules, 's')).resolves.toBe('2000');
      await expect(client.hmget(keys.schedule, 'runs', 'lastRunAt')).resolves.toEqual(['1', '1000']);
    });

    it('appends several catch-up ticks in one call', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      await expect(fire(1000, 4000, message(1000), message(2000), message(3000))).resolves.toBe(3);
      await expect(client.xlen(keys.stream)).resolves.toBe(3);
      await expect(client.hget(keys.schedule, 'runs')).resolves.toBe('3');
    });

    it('returns 0 and writes nothing when the tick was already fired elsewhere', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      await fire(1000, 2000, message(1000));
      await expect(fire(1000, 2000, message(1000))).resolves.toBe(0); // the second instance, same plan
      await expect(client.xlen(keys.stream)).resolves.toBe(1);
    });

    it('returns 0 for a removed schedule', async () => {
      const { client, keys } = state;
      await expect(fire(1000, 2000, message(1000))).resolves.toBe(0);
      await expect(client.exists(keys.stream)).resolves.toBe(0);
    });

    it('advances without a message when the plan skips the tick, and ends the schedule on -1', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      await expect(fire(1000, 2000)).resolves.toBe(0);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBe('2000');
      await expect(fire(2000, -1, message(2000))).resolves.toBe(1);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBeNull();
    });

    it('pushes list elements in list mode', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      const fired = await client.vqFireSchedule(
        keys.schedules,
        keys.schedule,
        keys.list,
        's',
        1000,
        2000,
        'list',
        1,
        1000,
        '{"id":"s:1000"}',
      );
      expect(fired).toBe(1);
      await expect(client.lrange(keys.list, 0, -1)).resolves.toEqual(['{"id":"s:1000"}']);
    });
  });

  describe('remove-schedule.lua', () => {
    it('removes a schedule (1) and reports a missing one (0)', async () => {
      const { client, keys } = state;
      await upsert('d', 1000);
      await expect(client.vqRemoveSchedule(keys.schedules, keys.schedule, 's')).resolves.toBe(1);
      await expect(client.exists(keys.schedule)).resolves.toBe(0);
      await expect(client.zscore(keys.schedules, 's')).resolves.toBeNull();
      await expect(client.vqRemoveSchedule(keys.schedules, keys.schedule, 's')).resolves.toBe(0);
    });
  });
});
