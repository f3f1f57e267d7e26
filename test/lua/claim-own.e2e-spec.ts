import { useValkey } from '../utils/use-valkey.js';
import { deliver, envelopeFields, pendingEntry } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('claim-own.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);

  it('pages through its own pending entries with delivery counts, then returns an empty cursor', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    for (let index = 0; index < 5; index += 1)
      await client.xadd(stream, '*', ...envelopeFields(String(index)));
    const mine = await deliver(client, stream, 'g', 'pod-1', 3);
    const theirs = await deliver(client, stream, 'g', 'pod-2', 2);

    const [first, page1] = await client.vqClaimOwn(stream, 'g', 'pod-1', '0-0', 2);
    expect(first).toBe(mine[1]);
    expect(page1.map(([id, , deliveries]) => [id, deliveries])).toEqual([
      [mine[0], 2],
      [mine[1], 2],
    ]);
    const [second, page2] = await client.vqClaimOwn(stream, 'g', 'pod-1', first, 2);
    expect(second).toBe(mine[2]);
    expect(page2.map(([id]) => id)).toEqual([mine[2]]);
    await expect(client.vqClaimOwn(stream, 'g', 'pod-1', second, 2)).resolves.toEqual(['', []]);
    expect((await pendingEntry(client, stream, 'g', theirs[0]))?.[3]).toBe(1);
  });

  it('drops entries deleted meanwhile, and still advances', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await client.xadd(stream, '*', ...envelopeFields('2'));
    const [gone, kept] = await deliver(client, stream, 'g', 'pod-1');
    await client.xdel(stream, gone);
    const [last, claimed] = await client.vqClaimOwn(stream, 'g', 'pod-1', '0-0', 10);
    expect(last).toBe(kept);
    expect(claimed.map(([id]) => id)).toEqual([kept]);
  });
});
