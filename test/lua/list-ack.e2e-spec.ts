import { useValkey } from '../utils/use-valkey.js';
import { idOf, oldestFirst } from '../workers/list-test-kit.js';
import { elements, notUtf8Element, sha1, useListScripts } from './list-lua-kit.js';

describe('list-ack.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const inflight = () => state.keys.inflight('c1');
  const ack = (items: string[], { ttl = 0, counter = 'processed', markers = [] as string[] } = {}) =>
    state.client.vqListAck(
      3 + markers.length,
      inflight(),
      state.keys.stats,
      state.keys.deliveries,
      ...markers,
      ttl,
      counter,
      ...items,
    );

  it('removes many elements from the in-flight list in one call and counts them as processed', async () => {
    const { client, keys } = state;
    const items = elements(5);
    await client.lpush(inflight(), ...items);
    await expect(ack(items.slice(0, 4))).resolves.toBe(4);
    await expect(oldestFirst(client, inflight())).resolves.toEqual([items[4]]);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('4');
  });

  it('counts only elements removed now: an element no longer in flight is not counted', async () => {
    const { client, keys } = state;
    const [a, b] = elements(2);
    await client.lpush(inflight(), a);
    await expect(ack([a, b])).resolves.toBe(1);
    await expect(ack([a])).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('1');
  });

  it('removes one copy per element given when the same element is in flight twice', async () => {
    const { client } = state;
    const [a] = elements(1);
    await client.lpush(inflight(), a, a);
    await expect(ack([a])).resolves.toBe(1);
    await expect(client.llen(inflight())).resolves.toBe(1);
  });

  it('writes one idempotency marker per element with the TTL', async () => {
    const { client, keys } = state;
    const items = elements(2);
    await client.lpush(inflight(), ...items);
    const markers = items.map((item) => keys.done(idOf(item)));
    await expect(ack(items, { ttl: 60_000, markers })).resolves.toBe(2);
    for (const marker of markers) {
      await expect(client.get(marker)).resolves.toBe('1');
      const ttl = await client.pttl(marker);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('adds to the given counter, or to none', async () => {
    const { client, keys } = state;
    const [a, b] = elements(2);
    await client.lpush(inflight(), a, b);
    await expect(ack([a], { counter: 'expired' })).resolves.toBe(1);
    await expect(ack([b], { counter: '' })).resolves.toBe(1);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ expired: '1' });
  });

  it('drops the delivery count of an element it removes, and keeps that of one it did not', async () => {
    const { client, keys } = state;
    const [a, b] = elements(2);
    await client.lpush(inflight(), a);
    await client.hset(keys.deliveries, sha1(a), '1', sha1(b), '2');
    await expect(ack([a, b])).resolves.toBe(1);
    await expect(client.hgetall(keys.deliveries)).resolves.toEqual({ [sha1(b)]: '2' });
  });

  it('does nothing for an empty batch', async () => {
    await expect(ack([])).resolves.toBe(0);
  });

  it('finds an element that is not UTF-8 by its bytes', async () => {
    const { client, keys } = state;
    const element = notUtf8Element();
    await client.lpush(inflight(), element);
    await expect(
      client.vqListAck(3, inflight(), keys.stats, keys.deliveries, 0, 'processed', element),
    ).resolves.toBe(1);
    await expect(client.llen(inflight())).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('1');
  });
});
