import { useValkey } from '../utils/use-valkey.js';
import { oldestFirst } from '../workers/list-test-kit.js';
import { elements, notUtf8Element, sha1, useListScripts } from './list-lua-kit.js';

describe('list-hand-back.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const inflight = () => state.keys.inflight('c1');
  const handBack = (...items: string[]) =>
    state.client.vqListHandBack(inflight(), state.keys.list, state.keys.deliveries, '1', ...items);

  it('returns elements to the head of the queue, first given read first, each counted as a delivery', async () => {
    const { client, keys } = state;
    const [waiting, a, b, kept] = elements(4);
    await client.lpush(keys.list, waiting);
    await client.lpush(inflight(), a, b, kept);
    await expect(handBack(a, b)).resolves.toBe(2);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([a, b, waiting]);
    await expect(oldestFirst(client, inflight())).resolves.toEqual([kept]);
    await expect(client.hgetall(keys.deliveries)).resolves.toEqual({ [sha1(a)]: '1', [sha1(b)]: '1' });
    await client.lpush(inflight(), a);
    await expect(handBack(a)).resolves.toBe(1);
    await expect(client.hget(keys.deliveries, sha1(a))).resolves.toBe('2');
  });

  it('skips elements no longer in the in-flight list (acknowledged meanwhile)', async () => {
    const { client, keys } = state;
    const [a, gone] = elements(2);
    await client.lpush(inflight(), a);
    await expect(handBack(gone, a)).resolves.toBe(1);
    await expect(handBack(a)).resolves.toBe(0);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([a]);
    await expect(client.hexists(keys.deliveries, sha1(gone))).resolves.toBe(0);
  });

  it("does not count a delivery with '0' (handlers never started)", async () => {
    const { client, keys } = state;
    const [a] = elements(1);
    await client.lpush(inflight(), a);
    await expect(client.vqListHandBack(inflight(), keys.list, keys.deliveries, '0', a)).resolves.toBe(1);
    await expect(oldestFirst(client, keys.list)).resolves.toEqual([a]);
    await expect(client.exists(keys.deliveries)).resolves.toBe(0);
  });

  it('finds an element that is not UTF-8 by its bytes and returns it unchanged, its delivery counted by their SHA-1', async () => {
    const { client, keys } = state;
    const element = notUtf8Element();
    await client.lpush(inflight(), element);
    await expect(client.vqListHandBack(inflight(), keys.list, keys.deliveries, '1', element)).resolves.toBe(
      1,
    );
    await expect(client.llen(inflight())).resolves.toBe(0);
    const [returned] = await client.lrangeBuffer(keys.list, 0, -1);
    expect(returned.equals(element)).toBe(true);
    await expect(client.hget(keys.deliveries, sha1(element))).resolves.toBe('1');
  });
});
