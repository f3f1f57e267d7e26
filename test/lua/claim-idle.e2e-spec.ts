import { useValkey } from '../utils/use-valkey.js';
import { deliver, envelopeFields, pendingEntry } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('claim-idle.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);

  const fill = async (n: number, consumer = 'dead-one'): Promise<string[]> => {
    const { client, keys } = state;
    const { stream } = keys;
    for (let index = 0; index < n; index += 1)
      await client.xadd(stream, '*', ...envelopeFields(String(index)));
    return deliver(client, stream, 'g', consumer);
  };
  const age = (ids: string[], consumer = 'dead-one', ms = 60_000) =>
    state.client.call('XCLAIM', state.keys.stream, 'g', consumer, 0, ...ids, 'IDLE', ms, 'JUSTID');

  it('claims entries idle past min idle, with their fields and delivery counts, and ends at 0-0', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const ids = await fill(2);
    await age(ids);
    const [cursor, claimed, deleted] = await client.vqClaimIdle(stream, 'g', 'me', 30_000, '0-0', 10);
    expect(cursor).toBe('0-0');
    expect(deleted).toBe(0);
    expect(claimed.map(([id, , deliveries]) => [id, deliveries])).toEqual([
      [ids[0], 2],
      [ids[1], 2],
    ]);
    expect(claimed[0][1]).toEqual(expect.arrayContaining(['v', '1', 'payload', '0']));
    expect((await pendingEntry(client, stream, 'g', ids[0]))?.[1]).toBe('me');
  });

  it('leaves entries that are not idle long enough', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await fill(1);
    const [, claimed] = await client.vqClaimIdle(stream, 'g', 'me', 30_000, '0-0', 10);
    expect(claimed).toEqual([]);
  });

  it('claims at most count per call; following the cursor reaches every idle entry', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const ids = await fill(30);
    await age(ids);
    const seen: string[] = [];
    let cursor = '0-0';
    let calls = 0;
    do {
      const [next, claimed] = await client.vqClaimIdle(stream, 'g', 'me', 30_000, cursor, 4);
      expect(claimed.length).toBeLessThanOrEqual(4);
      seen.push(...claimed.map(([id]) => id));
      cursor = next;
      calls += 1;
    } while (cursor !== '0-0' && calls < 100);
    expect(seen).toEqual(ids);
  });

  it('counts entries deleted while pending and does not return them', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    const [gone, kept] = await fill(2);
    await age([gone, kept]);
    await client.xdel(stream, gone);
    const [, claimed, deleted] = await client.vqClaimIdle(stream, 'g', 'me', 30_000, '0-0', 10);
    expect(claimed.map(([id]) => id)).toEqual([kept]);
    expect(deleted).toBe(1);
    await expect(pendingEntry(client, stream, 'g', gone)).resolves.toBeUndefined();
  });
});
