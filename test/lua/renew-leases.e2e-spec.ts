import { useValkey } from '../utils/use-valkey.js';
import { leaseKeys, useScripts } from './lua-kit.js';

describe('renew-leases.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    () => leaseKeys(),
  );

  const renew = (ttl: number, leases: [stream: string, value: string][]) =>
    state.client.vqRenewLeases(
      1 + 2 * leases.length,
      state.keys.assignments,
      ...leases.flatMap(([stream]) => [state.keys.lease(stream), state.keys.assignment(stream)]),
      ttl,
      ...leases.flatMap(([stream, value]) => [value, stream]),
    );
  const lease = async (stream: string, value: string, ttl = 1_000): Promise<void> => {
    const { client, keys } = state;
    await client.set(keys.lease(stream), value, 'PX', ttl);
    await client.hset(
      keys.assignment(stream),
      'entryId',
      '1-1',
      'token',
      value.split(':')[1],
      'expiresAt',
      1,
    );
    await client.zadd(keys.assignments, 1, stream);
  };

  it('returns 1 and extends a lease still ours, with its record and index entry', async () => {
    const { client, keys } = state;
    await lease('a', 'c1:3');
    const [expiresAt, status] = await renew(60_000, [['a', 'c1:3']]);
    expect(status).toBe(1);
    expect(await client.pttl(keys.lease('a'))).toBeGreaterThan(55_000);
    await expect(client.get(keys.lease('a'))).resolves.toBe('c1:3');
    await expect(client.hget(keys.assignment('a'), 'expiresAt')).resolves.toBe(String(expiresAt));
    await expect(client.zscore(keys.assignments, 'a')).resolves.toBe(String(expiresAt));
  });

  it('returns 0 for a missing lease and never re-creates it', async () => {
    const { client, keys } = state;
    await lease('a', 'c1:3');
    await client.del(keys.lease('a'));
    const [, status] = await renew(60_000, [['a', 'c1:3']]);
    expect(status).toBe(0);
    await expect(client.exists(keys.lease('a'))).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 'a')).resolves.toBe('1');
  });

  it('returns -1 for a lease held by another owner or token, leaving it untouched', async () => {
    const { client, keys } = state;
    await lease('a', 'c2:4', 5_000);
    const [, status] = await renew(60_000, [['a', 'c1:3']]);
    expect(status).toBe(-1);
    expect(await client.pttl(keys.lease('a'))).toBeLessThanOrEqual(5_000);
    await expect(client.get(keys.lease('a'))).resolves.toBe('c2:4');
  });

  it('renews many leases in one call, one status each, in order', async () => {
    await lease('a', 'c1:1');
    await lease('b', 'c2:9');
    await lease('c', 'c1:2');
    const [, ...statuses] = await renew(60_000, [
      ['a', 'c1:1'],
      ['b', 'c1:8'],
      ['missing', 'c1:5'],
      ['c', 'c1:2'],
    ]);
    expect(statuses).toEqual([1, -1, 0, 1]);
  });
});
