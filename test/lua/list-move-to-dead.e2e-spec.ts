import { useValkey } from '../utils/use-valkey.js';
import { idOf, listElement } from '../workers/list-test-kit.js';
import { delayedBody, records, TRICKY_PAYLOAD } from '../workers/worker-test-kit.js';
import { elements, notUtf8Element, sha1, useListScripts } from './list-lua-kit.js';

/** Envelope fields of an element, as the worker reads them. */
const fieldsOf = (element: string): string[] =>
  Object.entries(JSON.parse(element) as Record<string, unknown>).flatMap(([name, value]) => [
    name,
    typeof value === 'string' ? value : JSON.stringify(value),
  ]);

describe('list-move-to-dead.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useListScripts(() => valkey().url);
  const inflight = () => state.keys.inflight('c1');
  type Item = { element: string; reason?: string; body?: string; stack?: string; countFailure?: string };
  const move = (items: Item[], maxLen = 1000) =>
    state.client.vqListMoveToDead(
      inflight(),
      state.keys.dead,
      state.keys.stats,
      state.keys.deliveries,
      maxLen,
      state.keys.list,
      ...items.flatMap(({ element, reason = 'dead', body, stack = '', countFailure = '1' }) => [
        element,
        reason,
        `failed: ${reason}`,
        3,
        countFailure,
        stack,
        body ?? delayedBody(fieldsOf(element)),
      ]),
    );

  it('copies each element to the dead-letter stream with the stream transport fields, then removes it', async () => {
    const { client, keys } = state;
    const a = listElement(TRICKY_PAYLOAD, { headers: { trace: 't' } });
    await client.lpush(inflight(), a);
    await client.hset(keys.deliveries, sha1(a), '1');
    await expect(move([{ element: a, stack: 'Error: x\n    at y' }])).resolves.toEqual([1]);
    await expect(client.llen(inflight())).resolves.toBe(0);
    await expect(client.exists(keys.deliveries)).resolves.toBe(0);
    const [letter] = await records(client, keys.dead);
    expect(letter).toEqual({
      v: '1',
      id: idOf(a),
      payload: TRICKY_PAYLOAD,
      headers: '{"trace":"t"}',
      createdAt: expect.any(String),
      attempt: '1',
      reason: 'dead',
      error: 'failed: dead',
      attempts: '3',
      failedAt: expect.stringMatching(/^\d{13}$/),
      sourceId: keys.list,
      stack: 'Error: x\n    at y',
    });
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ dead: '1', failed: '1' });
  });

  it('counts each reason, and a failure only when asked', async () => {
    const { client, keys } = state;
    const [a, b, c] = elements(3);
    await client.lpush(inflight(), a, b, c);
    const result = move([
      { element: a, reason: 'broken', countFailure: '0' },
      { element: b, reason: 'expired', countFailure: '0' },
      { element: c, reason: 'dead' },
    ]);
    await expect(result).resolves.toEqual([1, 1, 1]);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({
      broken: '1',
      expired: '1',
      dead: '1',
      failed: '1',
    });
    expect((await records(client, keys.dead)).map((letter) => letter.reason)).toEqual([
      'broken',
      'expired',
      'dead',
    ]);
  });

  it('keeps an element whose fields cannot be split whole in `raw`', async () => {
    const { client, keys } = state;
    await client.lpush(inflight(), 'not json');
    await expect(move([{ element: 'not json', reason: 'broken', body: '' }])).resolves.toEqual([1]);
    const [letter] = await records(client, keys.dead);
    expect(letter).toMatchObject({ raw: 'not json', reason: 'broken', sourceId: keys.list });
  });

  it('skips an element no longer in the in-flight list (status 0): the DLQ gets one copy', async () => {
    const { client, keys } = state;
    const [a, gone] = elements(2);
    await client.lpush(inflight(), a);
    await expect(move([{ element: gone }, { element: a }])).resolves.toEqual([0, 1]);
    await expect(move([{ element: a }])).resolves.toEqual([0]);
    await expect(client.xlen(keys.dead)).resolves.toBe(1);
    await expect(client.hget(keys.stats, 'dead')).resolves.toBe('1');
  });

  it('keeps the dead-letter stream near its MAXLEN', async () => {
    const { client, keys } = state;
    const items = elements(300);
    await client.lpush(inflight(), ...items);
    await move(
      items.map((element) => ({ element })),
      100,
    );
    const length = await client.xlen(keys.dead);
    expect(length).toBeLessThan(300);
    expect(length).toBeGreaterThanOrEqual(100);
  });

  it('finds an element that is not UTF-8 by its bytes; with no fields body it keeps them whole in raw', async () => {
    const { client, keys } = state;
    const element = notUtf8Element();
    await client.lpush(inflight(), element);
    await client.hset(keys.deliveries, sha1(element), '1');
    await expect(
      client.vqListMoveToDead(
        inflight(),
        keys.dead,
        keys.stats,
        keys.deliveries,
        1000,
        keys.list,
        element,
        'broken',
        'e',
        0,
        '0',
        '',
        '',
      ),
    ).resolves.toEqual([1]);
    await expect(client.llen(inflight())).resolves.toBe(0);
    await expect(client.exists(keys.deliveries)).resolves.toBe(0);
    const [[, fields]] = await client.xrangeBuffer(keys.dead, '-', '+');
    expect(fields[0].toString()).toBe('raw');
    expect(fields[1].equals(element)).toBe(true);
  });
});
