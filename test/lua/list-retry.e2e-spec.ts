import { once } from 'node:events';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { idOf, listElement, oldestFirst } from '../workers/list-test-kit.js';
import { serverNow, TRICKY_PAYLOAD } from '../workers/worker-test-kit.js';
import { elements, sha1, useListScripts } from './list-lua-kit.js';

describe('list-retry.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const inflight = () => state.keys.inflight('c1');
  const next = (element: string) => JSON.stringify({ ...JSON.parse(element), attempt: 2 });
  const retry = (...items: [element: string, delay: number][]) =>
    state.client.vqListRetry(
      inflight(),
      state.keys.delayed,
      state.keys.bodies,
      state.keys.stats,
      state.keys.deliveries,
      ...items.flatMap(([element, delay]) => [element, idOf(element), delay, next(element)]),
    );

  it('moves each element to the delayed set, due after its delay on the server clock, body = the next copy', async () => {
    const { client, keys } = state;
    const a = listElement(TRICKY_PAYLOAD);
    const [b] = elements(1);
    await client.lpush(inflight(), a, b);
    const before = await serverNow(client);
    await expect(retry([a, 5_000], [b, 0])).resolves.toEqual([1, 1]);
    const after = await serverNow(client);
    await expect(client.llen(inflight())).resolves.toBe(0);
    const due = Number(await client.zscore(keys.delayed, idOf(a)));
    expect(due).toBeGreaterThanOrEqual(before + 5_000);
    expect(due).toBeLessThanOrEqual(after + 5_000);
    const body = await client.hget(keys.bodies, idOf(a));
    expect(body).toBe(next(a));
    expect((JSON.parse(body!) as { payload: string }).payload).toBe(TRICKY_PAYLOAD);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ failed: '2', retried: '2' });
  });

  it('skips an element no longer in the in-flight list (status 0), writing nothing for it', async () => {
    const { client, keys } = state;
    const [a, gone] = elements(2);
    await client.lpush(inflight(), a);
    await expect(retry([gone, 0], [a, 0])).resolves.toEqual([0, 1]);
    await expect(client.zscore(keys.delayed, idOf(gone))).resolves.toBeNull();
    await expect(client.hget(keys.stats, 'retried')).resolves.toBe('1');
    await expect(retry([gone, 0])).resolves.toEqual([0]);
    await expect(client.hget(keys.stats, 'retried')).resolves.toBe('1');
  });

  it('drops the delivery count of a retried element (its copy starts afresh)', async () => {
    const { client, keys } = state;
    const [a, other] = elements(2);
    await client.lpush(inflight(), a, other);
    await client.hset(keys.deliveries, sha1(a), '2', sha1(other), '1');
    await expect(retry([a, 0])).resolves.toEqual([1]);
    await expect(client.hgetall(keys.deliveries)).resolves.toEqual({ [sha1(other)]: '1' });
    await expect(oldestFirst(client, inflight())).resolves.toEqual([other]);
  });

  it('never removes an element when its copy cannot be written', async () => {
    const { client, keys } = state;
    const [a] = elements(1);
    await client.lpush(inflight(), a);
    await client.set(keys.delayed, 'not a zset');
    await expect(retry([a, 0])).rejects.toThrow(/WRONGTYPE/);
    await expect(client.llen(inflight())).resolves.toBe(1);
  });

  it("publishes the earliest retry's due time on the delayed set's channel when it becomes the set's earliest", async () => {
    const { client, keys } = state;
    const subscriber = rawClient(valkey().url);
    try {
      await subscriber.subscribe(keys.delayed);
      const [a, b, c] = elements(3);
      await client.lpush(inflight(), a, b, c);
      const published = once(subscriber, 'message') as Promise<[string, string]>;
      await expect(retry([a, 60_000], [b, 30_000])).resolves.toEqual([1, 1]);
      const [channel, due] = await published;
      expect(channel).toBe(keys.delayed);
      expect(Number(due)).toBe(Number(await client.zscore(keys.delayed, idOf(b))));
      // not earlier than what the set holds: no message
      const messages: string[] = [];
      subscriber.on('message', (_channel: string, message: string) => messages.push(message));
      await expect(retry([c, 90_000])).resolves.toEqual([1]);
      await subscriber.ping(); // a published message would have arrived before this reply
      expect(messages).toEqual([]);
    } finally {
      await subscriber.quit();
    }
  });
});
