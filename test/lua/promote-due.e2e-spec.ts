import { Test, type TestingModule } from '@nestjs/testing';
import { VALKEY_QUEUE_CLIENT, ValkeyQueueModule, type ValkeyClient } from 'nestjs-valkey-queue';
import { delayedBody, envelopeFields, scheduleMany, serverNow } from '../utils/delayed.js';
import { useValkey } from '../utils/use-valkey.js';
import { useScripts } from './lua-kit.js';

/** A payload that JSON round-trips would alter: [] vs {}, a 2^53+1 integer, an escaped slash. */
const TRICKY_PAYLOAD = '{"list":[],"map":{},"big":9007199254740993,"path":"a\\/b","text":"a/b","é":"ü"}';

describe('promote-due.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  const promote = (pageSize: number, mode: 'stream' | 'list' = 'stream') =>
    state.client.vqPromoteDue(
      state.keys.delayed,
      state.keys.bodies,
      mode === 'list' ? state.keys.list : state.keys.stream,
      state.keys.dead,
      pageSize,
      mode,
    );

  it('appends due stream messages with their fields verbatim and keeps future ones', async () => {
    const { client, keys } = state;
    const now = await serverNow(client);
    const fields = envelopeFields('due-1', TRICKY_PAYLOAD, 3);
    await client.zadd(keys.delayed, now - 5, 'due-1', now + 60_000, 'later');
    await client.hset(
      keys.bodies,
      'due-1',
      delayedBody(fields),
      'later',
      delayedBody(envelopeFields('later', '{}')),
    );

    const [promoted, nextDue, scriptNow] = await promote(100);

    expect(promoted).toBe(1);
    expect(nextDue).toBe(now + 60_000);
    expect(scriptNow).toBeGreaterThanOrEqual(now);
    const entries = await client.xrange(keys.stream, '-', '+');
    expect(entries.map(([, entryFields]) => entryFields)).toEqual([fields]);
    await expect(client.zrange(keys.delayed, '0', '-1')).resolves.toEqual(['later']);
    await expect(client.hkeys(keys.bodies)).resolves.toEqual(['later']);
  });

  it('returns -1 as the next due time when the set is empty', async () => {
    await expect(promote(100)).resolves.toEqual([0, -1, expect.any(Number)]);
  });

  it('pushes list elements verbatim in list mode', async () => {
    const { client, keys } = state;
    const element = JSON.stringify({ v: '1', id: 'l-1', payload: TRICKY_PAYLOAD, attempt: 1 });
    await client.zadd(keys.delayed, 1, 'l-1');
    await client.hset(keys.bodies, 'l-1', element);
    await expect(promote(10, 'list')).resolves.toEqual([1, -1, expect.any(Number)]);
    await expect(client.lrange(keys.list, 0, -1)).resolves.toEqual([element]);
  });

  it('drops an id whose body is gone without counting it', async () => {
    const { client, keys } = state;
    await client.zadd(keys.delayed, 1, 'orphan');
    await expect(promote(10)).resolves.toEqual([0, -1, expect.any(Number)]);
    await expect(client.zcard(keys.delayed)).resolves.toBe(0);
    await expect(client.exists(keys.stream)).resolves.toBe(0);
  });

  it.each([['no length prefix'], ['5:abc'], ['1:v']])(
    'moves an unreadable body %p to the dead letters',
    async (body) => {
      const { client, keys } = state;
      await client.zadd(keys.delayed, 1, 'bad');
      await client.hset(keys.bodies, 'bad', body);
      await expect(promote(10)).resolves.toEqual([0, -1, expect.any(Number)]);
      const [[, dead]] = await client.xrange(keys.dead, '-', '+');
      expect(dead).toEqual([
        'id',
        'bad',
        'reason',
        'broken',
        'error',
        'unreadable delayed body',
        'raw',
        body,
        'failedAt',
        expect.any(String),
      ]);
      await expect(client.hlen(keys.bodies)).resolves.toBe(0);
    },
  );

  it('moves at most one page per call, oldest due first', async () => {
    const { client, keys } = state;
    const now = await serverNow(client);
    const messages = Array.from({ length: 25 }, (_, index) => ({
      id: `m${index}`,
      payload: '{}',
      dueAt: now - 1000 + index,
    }));
    await scheduleMany(client, keys, messages);
    await expect(promote(10)).resolves.toEqual([10, now - 990, expect.any(Number)]);
    const ids = (await client.xrange(keys.stream, '-', '+')).map(([, fields]) => fields[3]);
    expect(ids).toEqual(messages.slice(0, 10).map(({ id }) => id));
  });

  it('moves every message exactly once with five promoters racing', async () => {
    const { client, keys } = state;
    const now = await serverNow(client);
    const messages = Array.from({ length: 1000 }, (_, index) => ({
      id: `r${index}`,
      payload: `{"n":${index}}`,
      dueAt: now - 1,
    }));
    await scheduleMany(client, keys, messages);
    // Five module instances: five connections, each running the script on its own.
    const instances = await Promise.all(
      Array.from({ length: 5 }, () =>
        Test.createTestingModule({
          imports: [ValkeyQueueModule.forRoot({ connection: { url: valkey().url } })],
        }).compile(),
      ),
    );
    const drain = async (instance: TestingModule): Promise<number> => {
      const promoter = instance.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
      let total = 0;
      for (;;) {
        const [promoted] = await promoter.vqPromoteDue(
          keys.delayed,
          keys.bodies,
          keys.stream,
          keys.dead,
          37,
          'stream',
        );
        if (promoted === 0) return total;
        total += promoted;
      }
    };
    const totals = await Promise.all(instances.map(drain));
    await Promise.all(instances.map((instance) => instance.close()));
    expect(totals.reduce((sum, n) => sum + n, 0)).toBe(1000);
    const ids = (await client.xrange(keys.stream, '-', '+')).map(([, fields]) => fields[3]);
    expect(ids).toHaveLength(1000);
    expect(new Set(ids).size).toBe(1000);
  });
});
