import { useValkey } from '../utils/use-valkey.js';
import {
  delayedBody,
  deliver,
  envelopeFields,
  pendingEntry,
  serverNow,
  TRICKY_PAYLOAD,
  withField,
} from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('retry.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);

  type Item = [
    entryId: string,
    id: string,
    delayMs: number,
    attempt: number,
    firstAttempt: number,
    fallback: string,
  ];
  const retry = (items: Item[], { consumer = 'c1', del = '0' } = {}) =>
    state.client.vqRetry(
      state.keys.stream,
      state.keys.delayed,
      state.keys.bodies,
      state.keys.stats,
      'g',
      consumer,
      del,
      ...items.flat(),
    );

  it('acks the entry and schedules a verbatim copy with the next attempt, due after the delay', async () => {
    const { client, keys } = state;
    const fields = envelopeFields(TRICKY_PAYLOAD, { id: 'm-1', attempt: '2' });
    await client.xadd(keys.stream, '*', ...fields);
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');
    const before = await serverNow(client);

    await expect(retry([[entryId, 'm-1', 5_000, 3, 2, '']])).resolves.toEqual([1]);

    const due = Number(await client.zscore(keys.delayed, 'm-1'));
    expect(due).toBeGreaterThanOrEqual(before + 5_000);
    expect(due).toBeLessThan(before + 6_000);
    const body = await client.hgetBuffer(keys.bodies, 'm-1');
    const copy = withField(withField(fields, 'attempt', '3'), 'firstAttempt', '2');
    expect(body!.equals(Buffer.from(delayedBody(copy)))).toBe(true);
    await expect(pendingEntry(client, keys.stream, 'g', entryId)).resolves.toBeUndefined();
    await expect(client.xlen(keys.stream)).resolves.toBe(1);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ failed: '1', retried: '1' });
  });

  it('deletes the entry with deleteOnAck', async () => {
    const { client, keys } = state;
    await client.xadd(keys.stream, '*', ...envelopeFields('1', { id: 'm-2' }));
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');
    await expect(retry([[entryId, 'm-2', 0, 2, 1, '']], { del: '1' })).resolves.toEqual([1]);
    await expect(client.xlen(keys.stream)).resolves.toBe(0);
    await expect(client.zcard(keys.delayed)).resolves.toBe(1);
  });

  it('returns 0 and changes nothing for an entry pending to another consumer, or already acked', async () => {
    const { client, keys } = state;
    await client.xadd(keys.stream, '*', ...envelopeFields('1', { id: 'm-3' }));
    await client.xadd(keys.stream, '*', ...envelopeFields('1', { id: 'm-4' }));
    const [theirs, acked] = await deliver(client, keys.stream, 'g', 'c2');
    await client.xack(keys.stream, 'g', acked);

    await expect(
      retry([
        [theirs, 'm-3', 0, 2, 1, ''],
        [acked, 'm-4', 0, 2, 1, ''],
      ]),
    ).resolves.toEqual([0, 0]);
    await expect(client.zcard(keys.delayed)).resolves.toBe(0);
    expect((await pendingEntry(client, keys.stream, 'g', theirs))?.slice(0, 2)).toEqual([theirs, 'c2']);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({});
  });

  it('uses the caller copy when the stored entry is gone', async () => {
    const { client, keys } = state;
    const fields = envelopeFields(TRICKY_PAYLOAD, { id: 'm-5' });
    await client.xadd(keys.stream, '*', ...fields);
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');
    await client.xdel(keys.stream, entryId);

    await expect(retry([[entryId, 'm-5', 0, 2, 1, delayedBody(fields)]])).resolves.toEqual([1]);
    await expect(client.hget(keys.bodies, 'm-5')).resolves.toBe(
      delayedBody(withField(withField(fields, 'attempt', '2'), 'firstAttempt', '1')),
    );
  });

  it('replaces the firstAttempt of a later copy in place (it keeps the value it was first delivered with)', async () => {
    const { client, keys } = state;
    const fields = withField(envelopeFields('1', { id: 'm-6', attempt: '4' }), 'firstAttempt', '3');
    await client.xadd(keys.stream, '*', ...fields);
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');

    await expect(retry([[entryId, 'm-6', 0, 5, 3, '']])).resolves.toEqual([1]);
    await expect(client.hget(keys.bodies, 'm-6')).resolves.toBe(
      delayedBody(withField(fields, 'attempt', '5')),
    );
  });

  it('handles many entries in one call', async () => {
    const { client, keys } = state;
    for (let index = 0; index < 20; index += 1) {
      await client.xadd(keys.stream, '*', ...envelopeFields(String(index), { id: `many-${index}` }));
    }
    const ids = await deliver(client, keys.stream, 'g', 'c1');
    const statuses = await retry(ids.map((entryId, index): Item => [entryId, `many-${index}`, 10, 2, 1, '']));
    expect(statuses).toEqual(ids.map(() => 1));
    await expect(client.zcard(keys.delayed)).resolves.toBe(20);
    await expect(client.hget(keys.stats, 'retried')).resolves.toBe('20');
  });
});
