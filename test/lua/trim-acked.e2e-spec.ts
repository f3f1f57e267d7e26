import { useValkey } from '../utils/use-valkey.js';
import { deliver, envelopeFields } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('trim-acked.lua (real Valkey)', () => {
  // Small stream nodes, so the approximate trim (whole nodes) is visible at small sizes.
  const valkey = useValkey({ config: { 'stream-node-max-entries': '2' } });
  const state = useScripts(() => valkey().url);

  const fill = async (n: number): Promise<string[]> => {
    const { client, keys } = state;
    const { stream } = keys;
    const ids: string[] = [];
    for (let index = 0; index < n; index += 1)
      ids.push((await client.xadd(stream, '*', ...envelopeFields(String(index))))!);
    return ids;
  };
  const remaining = async (): Promise<string[]> =>
    (await state.client.xrange(state.keys.stream, '-', '+')).map(([id]) => id);

  it('returns -1 for a stream without groups, and trims nothing', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await fill(4);
    await expect(client.vqTrimAcked(stream)).resolves.toBe(-1);
    await expect(client.xlen(stream)).resolves.toBe(4);
  });

  it('drops acknowledged entries, keeps everything from the oldest pending one on', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const ids = await fill(10);
    await client.xgroup('CREATE', stream, 'g', '0');
    const delivered = await deliver(client, stream, 'g', 'c', 8);
    await client.xack(stream, 'g', ...delivered.filter((id) => id !== delivered[5]));
    const removed = await client.vqTrimAcked(stream);
    expect(removed).toBeGreaterThan(0);
    const left = await remaining();
    expect(left).toContain(ids[5]); // pending
    expect(left).toEqual(expect.arrayContaining(ids.slice(5))); // pending and undelivered
    expect(left.length).toBe(10 - removed);
  });

  it('keeps undelivered entries, and what the slowest group has not acknowledged', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const ids = await fill(10);
    await client.xgroup('CREATE', stream, 'fast', '0');
    await client.xgroup('CREATE', stream, 'slow', '0');
    const fast = await deliver(client, stream, 'fast', 'c', 10);
    await client.xack(stream, 'fast', ...fast);
    const slow = await deliver(client, stream, 'slow', 'c', 4);
    await client.xack(stream, 'slow', ...slow);
    await client.vqTrimAcked(stream);
    expect(await remaining()).toEqual(expect.arrayContaining(ids.slice(4)));
  });

  it('keeps the entries younger than the given ms, acknowledged or not', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const old = [];
    for (let index = 0; index < 6; index += 1)
      old.push((await client.xadd(stream, `${1_000 + index}-0`, ...envelopeFields(String(index))))!);
    const recent = await fill(6);
    await client.xgroup('CREATE', stream, 'g', '0');
    await client.xack(stream, 'g', ...(await deliver(client, stream, 'g', 'c', 12)));

    await client.vqTrimAcked(stream, 60_000);

    const left = await remaining();
    expect(left).toEqual(expect.arrayContaining(recent));
    expect(left.length).toBeLessThan(12); // old acknowledged nodes went
  });
});
