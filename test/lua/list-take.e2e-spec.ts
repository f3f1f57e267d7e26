import { useValkey } from '../utils/use-valkey.js';
import { oldestFirst } from '../workers/list-test-kit.js';
import { elements, sha1, useListScripts } from './list-lua-kit.js';

describe('list-take.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const take = (count: number, probe: '1' | '0' = '0', ttl = 30_000) =>
    state.client.vqListTake(
      state.keys.list,
      state.keys.inflight('c1'),
      state.keys.deliveries,
      state.keys.heartbeat('c1'),
      state.keys.consumers,
      count,
      probe,
      'c1',
      state.keys.list,
      ttl,
    );

  it('moves up to count elements, oldest first, into the in-flight list, each delivered once so far', async () => {
    const { client, keys } = state;
    const [a, b, c] = elements(3);
    await client.lpush(keys.list, a, b, c); // a is the oldest
    await expect(take(2)).resolves.toEqual([0, a, 1, b, 1]);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([c]);
    await expect(oldestFirst(client, keys.inflight('c1'))).resolves.toEqual([a, b]);
    await expect(take(5)).resolves.toEqual([0, c, 1]);
    await expect(take(5)).resolves.toEqual([0]); // empty queue
  });

  it('reports deliveries from the deliveries hash (1 + times returned from a dead consumer)', async () => {
    const { client, keys } = state;
    const [a, b] = elements(2);
    await client.lpush(keys.list, a, b);
    await client.hset(keys.deliveries, sha1(b), '2');
    await expect(take(2)).resolves.toEqual([0, a, 1, b, 3]);
  });

  it('probe: reports the deliveries of the element right below the moved ones (the one BLMOVE took)', async () => {
    const { client, keys } = state;
    const [blmoved, next] = elements(2);
    await client.lpush(keys.list, blmoved, next);
    await client.blmove(keys.list, keys.inflight('c1'), 'RIGHT', 'LEFT', 1);
    await client.hset(keys.deliveries, sha1(blmoved), '1');
    await expect(take(0, '1')).resolves.toEqual([2]);
    await expect(take(5, '1')).resolves.toEqual([2, next, 1]);
    await expect(take(0, '1', 30_000)).resolves.toEqual([1]); // below the moved ones: `next` itself now
  });

  it('re-registers the consumer and its heartbeat when the heartbeat lapsed, and leaves a live one alone', async () => {
    const { client, keys } = state;
    await take(1, '0', 60_000);
    await expect(client.hget(keys.consumers, 'c1')).resolves.toBe(keys.list);
    const ttl = await client.pttl(keys.heartbeat('c1'));
    expect(ttl).toBeGreaterThan(50_000);
    await take(1, '0', 5_000); // alive: TTL untouched
    await expect(client.pttl(keys.heartbeat('c1'))).resolves.toBeGreaterThan(50_000);
  });
});
