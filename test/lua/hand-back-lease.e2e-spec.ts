import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { heldLease, useScripts } from './lua-kit.js';

describe('hand-back-lease.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    (client) => heldLease(client, ['token', 5, 'expiresAt', 9_999_999_999_999], 9_999_999_999_999),
  );

  const handBack = (value: string) =>
    state.client.vqHandBackLease(
      state.keys.lease('s1'),
      state.keys.assignment('s1'),
      state.keys.assignments,
      value,
      's1',
      state.keys.handBackChannel,
    );

  it('returns 1: drops the lease, keeps the LBS entry pending, marks it lapsed now and publishes the stream', async () => {
    const { client, keys } = state;
    const { service, entryId } = keys;
    const subscriber = rawClient(valkey().url);
    const published = deferred<string>();
    subscriber.on('message', (_channel: string, message: string) => published.resolve(message));
    await subscriber.subscribe(keys.handBackChannel);
    try {
      const before = Date.now();
      await expect(handBack('c1:5')).resolves.toBe(1);
      await expect(published.promise).resolves.toBe('s1');
      await expect(client.exists(keys.lease('s1'))).resolves.toBe(0);
      await expect(client.xpending(keys.lbs, service)).resolves.toEqual([1, entryId, entryId, [['c1', '1']]]);
      const lapsedAt = Number(await client.zscore(keys.assignments, 's1'));
      expect(Math.abs(lapsedAt - before)).toBeLessThan(5_000);
      await expect(client.hget(keys.assignment('s1'), 'expiresAt')).resolves.toBe(String(lapsedAt));
    } finally {
      subscriber.disconnect();
    }
  });

  it('returns 0 when the lease is already gone', async () => {
    const { client, keys } = state;
    await client.del(keys.lease('s1'));
    await expect(handBack('c1:5')).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('9999999999999');
  });

  it('returns -1 when another owner or token holds the lease, changing nothing', async () => {
    const { client, keys } = state;
    await client.set(keys.lease('s1'), 'c2:6');
    await expect(handBack('c1:5')).resolves.toBe(-1);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c2:6');
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('9999999999999');
  });
});
