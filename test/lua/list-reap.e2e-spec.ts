import { useValkey } from '../utils/use-valkey.js';
import { oldestFirst } from '../workers/list-test-kit.js';
import { elements, sha1, useListScripts } from './list-lua-kit.js';

describe('list-reap.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const reap = (names: string[], limit = 1000, list = state.keys.list) =>
    state.client.vqListReap(
      3 + 2 * names.length,
      state.keys.consumers,
      state.keys.list,
      state.keys.deliveries,
      ...names.flatMap((name) => [state.keys.heartbeat(name), state.keys.inflight(name)]),
      list,
      limit,
      ...names,
    );

  it("returns a dead consumer's in-flight list to the head of the queue, oldest first, counting deliveries", async () => {
    const { client, keys } = state;
    const [waiting, older, newer] = elements(3);
    await client.lpush(keys.list, waiting);
    await client.lpush(keys.inflight('dead'), older, newer);
    await client.hset(keys.consumers, 'dead', keys.list);
    await client.hset(keys.deliveries, sha1(older), '1');
    await expect(reap(['dead'])).resolves.toEqual([2]);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([older, newer, waiting]);
    await expect(client.exists(keys.inflight('dead'))).resolves.toBe(0);
    await expect(client.hexists(keys.consumers, 'dead')).resolves.toBe(0); // unregistered
    await expect(client.hgetall(keys.deliveries)).resolves.toEqual({
      [sha1(older)]: '2',
      [sha1(newer)]: '1',
    });
  });

  it('never touches a consumer whose heartbeat is alive (-1)', async () => {
    const { client, keys } = state;
    const [a] = elements(1);
    await client.lpush(keys.inflight('alive'), a);
    await client.hset(keys.consumers, 'alive', keys.list);
    await client.set(keys.heartbeat('alive'), '1', 'PX', 60_000);
    await expect(reap(['alive'])).resolves.toEqual([-1]);
    await expect(client.llen(keys.inflight('alive'))).resolves.toBe(1);
    await expect(client.hexists(keys.consumers, 'alive')).resolves.toBe(1);
  });

  it('leaves consumers registered for another list key, or not registered (-2)', async () => {
    const { client, keys } = state;
    const [a, b] = elements(2);
    await client.lpush(keys.inflight('other'), a);
    await client.hset(keys.consumers, 'other', `queue:${keys.tag}`);
    await client.lpush(keys.inflight('stranger'), b);
    await expect(reap(['other', 'stranger'])).resolves.toEqual([-2, -2]);
    await expect(client.llen(keys.list)).resolves.toBe(0);
    // the consumers of that other key do reap it
    await expect(reap(['other'], 1000, `queue:${keys.tag}`)).resolves.toEqual([1]);
  });

  it('moves at most `limit` per call and keeps the registration until the list is empty', async () => {
    const { client, keys } = state;
    await client.lpush(keys.inflight('dead'), ...elements(5));
    await client.hset(keys.consumers, 'dead', keys.list);
    await expect(reap(['dead'], 3)).resolves.toEqual([3]);
    await expect(client.hexists(keys.consumers, 'dead')).resolves.toBe(1);
    await expect(reap(['dead'], 3)).resolves.toEqual([2]);
    await expect(client.hexists(keys.consumers, 'dead')).resolves.toBe(0);
    await expect(client.llen(keys.list)).resolves.toBe(5);
  });

  it('unregisters a dead consumer with nothing in flight (0)', async () => {
    const { client, keys } = state;
    await client.hset(keys.consumers, 'idle', keys.list);
    await expect(reap(['idle'])).resolves.toEqual([0]);
    await expect(client.hexists(keys.consumers, 'idle')).resolves.toBe(0);
  });
});
