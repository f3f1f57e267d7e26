import { useValkey } from '../utils/use-valkey.js';
import {
  delayedBody,
  deliver,
  envelopeFields,
  pendingEntry,
  serverNow,
  TRICKY_PAYLOAD,
} from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('move-to-dead.lua (real Valkey)', () => {
  // Small stream nodes, so an approximate MAXLEN trims at small sizes too.
  const valkey = useValkey({ config: { 'stream-node-max-entries': '4' } });
  const state = useScripts(() => valkey().url);

  type Item = [
    entryId: string,
    reason: string,
    error: string,
    attempts: number,
    countFailure: string,
    stack: string,
    fallback: string,
  ];
  const move = (items: Item[], { consumer = 'c1', del = '0', maxLen = 1000, noAck = '0' } = {}) =>
    state.client.vqMoveToDead(
      state.keys.stream,
      state.keys.dead,
      state.keys.stats,
      'g',
      consumer,
      del,
      maxLen,
      noAck,
      ...items.flat(),
    );

  it('copies the entry verbatim plus the dead-letter fields, then acks it', async () => {
    const { client, keys } = state;
    const fields = envelopeFields(TRICKY_PAYLOAD, { id: 'm-1', attempt: '3' });
    await client.xadd(keys.stream, '*', ...fields);
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');
    const before = await serverNow(client);

    await expect(move([[entryId, 'dead', 'boom', 3, '1', 'Error: boom\n  at x', '']])).resolves.toEqual([1]);

    const [[, dead]] = await client.xrangeBuffer(keys.dead, '-', '+');
    const text = dead.map((field) => field.toString());
    expect(text.slice(0, fields.length)).toEqual(fields);
    expect(dead[5].equals(Buffer.from(TRICKY_PAYLOAD))).toBe(true);
    const extra = Object.fromEntries(
      text
        .slice(fields.length)
        .flatMap((_, index, rest) => (index % 2 ? [] : [[rest[index], rest[index + 1]]])),
    );
    expect(extra).toMatchObject({
      reason: 'dead',
      error: 'boom',
      attempts: '3',
      sourceId: entryId,
      stack: 'Error: boom\n  at x',
    });
    expect(Number(extra.failedAt)).toBeGreaterThanOrEqual(before);
    await expect(pendingEntry(client, keys.stream, 'g', entryId)).resolves.toBeUndefined();
    await expect(client.xlen(keys.stream)).resolves.toBe(1);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ dead: '1', failed: '1' });
  });

  it('counts broken and expired under their reason, and deletes the source with deleteOnAck', async () => {
    const { client, keys } = state;
    await client.xadd(keys.stream, '*', 'not', 'an envelope');
    await client.xadd(keys.stream, '*', ...envelopeFields('1', { expiresAt: '1' }));
    const [broken, expired] = await deliver(client, keys.stream, 'g', 'c1');
    await expect(
      move(
        [
          [broken, 'broken', 'no v', 0, '0', '', ''],
          [expired, 'expired', 'expired at x', 0, '0', '', ''],
        ],
        { del: '1' },
      ),
    ).resolves.toEqual([1, 1]);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ broken: '1', expired: '1' });
    await expect(client.xlen(keys.stream)).resolves.toBe(0);
    const reasons = (await client.xrange(keys.dead, '-', '+')).map(
      ([, fields]) => fields[fields.indexOf('reason') + 1],
    );
    expect(reasons).toEqual(['broken', 'expired']);
  });

  it('returns 0 for an entry pending to another consumer or already acked, and writes nothing', async () => {
    const { client, keys } = state;
    await client.xadd(keys.stream, '*', ...envelopeFields('1'));
    await client.xadd(keys.stream, '*', ...envelopeFields('2'));
    const [theirs, acked] = await deliver(client, keys.stream, 'g', 'c2');
    await client.xack(keys.stream, 'g', acked);
    await expect(
      move([
        [theirs, 'dead', 'x', 1, '1', '', ''],
        [acked, 'dead', 'x', 1, '1', '', ''],
      ]),
    ).resolves.toEqual([0, 0]);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    expect((await pendingEntry(client, keys.stream, 'g', theirs))?.[1]).toBe('c2');
    await expect(client.hgetall(keys.stats)).resolves.toEqual({});
  });

  it('with NOACK, copies without any pending check', async () => {
    const { client, keys } = state;
    const entryId = await client.xadd(keys.stream, '*', ...envelopeFields('1'));
    await client.xgroup('CREATE', keys.stream, 'g', '0');
    await expect(move([[entryId!, 'broken', 'x', 0, '0', '', '']], { noAck: '1' })).resolves.toEqual([1]);
    await expect(client.xlen(keys.dead)).resolves.toBe(1);
  });

  it('uses the caller copy when the stored entry is gone', async () => {
    const { client, keys } = state;
    const fields = envelopeFields(TRICKY_PAYLOAD, { id: 'gone' });
    await client.xadd(keys.stream, '*', ...fields);
    const [entryId] = await deliver(client, keys.stream, 'g', 'c1');
    await client.xdel(keys.stream, entryId);
    await expect(move([[entryId, 'dead', 'x', 4, '1', '', delayedBody(fields)]])).resolves.toEqual([1]);
    const [[, dead]] = await client.xrange(keys.dead, '-', '+');
    expect(dead.slice(0, fields.length)).toEqual(fields);
  });

  it('keeps the dead-letter stream near deadLetterMaxLen (MAXLEN ~)', async () => {
    const { client, keys } = state;
    for (let index = 0; index < 40; index += 1)
      await client.xadd(keys.stream, '*', ...envelopeFields(String(index)));
    const ids = await deliver(client, keys.stream, 'g', 'c1');
    await move(
      ids.map((entryId): Item => [entryId, 'dead', 'x', 1, '1', '', '']),
      { maxLen: 8 },
    );
    const length = await client.xlen(keys.dead);
    expect(length).toBeGreaterThanOrEqual(8);
    expect(length).toBeLessThanOrEqual(8 + 4);
  });
});
