import { useValkey } from '../utils/use-valkey.js';
import { heldLease, useScripts } from './lua-kit.js';

describe('release-lease.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    (client) => heldLease(client, ['owner', 'c1', 'token', 5], 1),
  );

  const release = (value: string) =>
    state.client.vqReleaseLease(
      state.keys.lbs,
      state.keys.lease('s1'),
      state.keys.assignment('s1'),
      state.keys.assignments,
      state.keys.service,
      value,
      's1',
    );
  const unchanged = async (): Promise<void> => {
    const { client, keys } = state;
    const { service, entryId } = keys;
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([1, entryId, entryId, [['c1', '1']]]);
    await expect(client.xlen(keys.lbs)).resolves.toBe(1);
    await expect(client.exists(keys.assignment('s1'))).resolves.toBe(1);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('1');
  };

  it('returns 1 and completes the stream: lease, LBS entry (acked and deleted), record and index entry gone', async () => {
    const { client, keys } = state;
    const { service } = keys;
    await expect(release('c1:5')).resolves.toBe(1);
    await expect(client.exists(keys.lease('s1'), keys.assignment('s1'))).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
    await expect(client.xlen(keys.lbs)).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBeNull();
    await expect(client.get(keys.fence('s1'))).resolves.toBeNull(); // never written here; tokens live on
  });

  it('returns 0 when the lease lapsed, acknowledging nothing', async () => {
    const { client, keys } = state;
    await client.del(keys.lease('s1'));
    await expect(release('c1:5')).resolves.toBe(0);
    await unchanged();
  });

  it('returns -1 when another owner or token holds the lease, acknowledging nothing', async () => {
    const { client, keys } = state;
    await client.set(keys.lease('s1'), 'c2:6');
    await expect(release('c1:5')).resolves.toBe(-1);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c2:6');
    await unchanged();
  });
});
