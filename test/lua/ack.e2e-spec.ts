import { useValkey } from '../utils/use-valkey.js';
import { deliver, envelopeFields } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('ack.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);

  /** Adds `n` entries and delivers them to consumer c1 of group g. */
  const pending = async (n: number): Promise<string[]> => {
    const { client, keys } = state;
    for (let index = 0; index < n; index += 1)
      await client.xadd(keys.stream, '*', ...envelopeFields(`${index}`));
    return deliver(client, keys.stream, 'g', 'c1');
  };
  const ack = (
    ids: string[],
    { del = '0', ttl = 0, counter = 'processed', noAck = '0', markers = [] as string[] } = {},
  ) =>
    state.client.vqAck(
      2 + markers.length,
      state.keys.stream,
      state.keys.stats,
      ...markers,
      'g',
      del,
      ttl,
      counter,
      noAck,
      ...ids,
    );

  it('acks many entries in one call and counts them as processed', async () => {
    const { client, keys } = state;
    const ids = await pending(5);
    await expect(ack(ids)).resolves.toBe(5);
    await expect(client.xpending(keys.stream, 'g')).resolves.toEqual([0, null, null, null]);
    await expect(client.xlen(keys.stream)).resolves.toBe(5);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('5');
  });

  it('counts only entries acknowledged now: a second ack of the same ids returns 0', async () => {
    const { client, keys } = state;
    const ids = await pending(2);
    await ack(ids);
    await expect(ack(ids)).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('2');
  });

  it('deletes the entries with deleteOnAck', async () => {
    const { client, keys } = state;
    const ids = await pending(3);
    await expect(ack(ids, { del: '1' })).resolves.toBe(3);
    await expect(client.xlen(keys.stream)).resolves.toBe(0);
  });

  it('writes one idempotency marker per entry with the TTL', async () => {
    const { client, keys } = state;
    const ids = await pending(2);
    const markers = [keys.done('a'), keys.done('b')];
    await expect(ack(ids, { ttl: 60_000, markers })).resolves.toBe(2);
    for (const marker of markers) {
      await expect(client.get(marker)).resolves.toBe('1');
      const ttl = await client.pttl(marker);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
  });

  it('adds to another counter, or to none', async () => {
    const { client, keys } = state;
    const [first, second] = await pending(2);
    await ack([first], { counter: 'expired' });
    await ack([second], { counter: '' });
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ expired: '1' });
  });

  it('with NOACK, acks nothing and counts every entry', async () => {
    const { client, keys } = state;
    const id = await client.xadd(keys.stream, '*', ...envelopeFields('x'));
    await expect(ack([id!], { noAck: '1', del: '1' })).resolves.toBe(1);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('1');
    await expect(client.xlen(keys.stream)).resolves.toBe(0);
  });

  it('returns 0 for no entries', async () => {
    await expect(ack([])).resolves.toBe(0);
  });
});
