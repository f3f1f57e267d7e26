import type { TestingModule } from '@nestjs/testing';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import {
  bootWorkers,
  clientOf,
  deliver,
  envelopeFields,
  keysOf,
  pendingEntry,
  uniqueQueue,
} from '../workers/worker-test-kit.js';

describe('refresh-claims.lua (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let client: ValkeyClient;
  let stream: string;

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, []);
    client = clientOf(moduleRef);
  });
  afterAll(async () => moduleRef.close());
  beforeEach(() => {
    stream = keysOf(uniqueQueue()).stream;
  });

  /** Makes an entry look idle for `ms` without a delivery. */
  const age = (entryId: string, consumer: string, ms: number) =>
    client.call('XCLAIM', stream, 'g', consumer, 0, entryId, 'IDLE', ms, 'JUSTID');

  it('resets the idle time of our entries to 0 without counting a delivery', async () => {
    await client.xadd(stream, '*', ...envelopeFields('1'));
    const [entryId] = await deliver(client, stream, 'g', 'c1');
    await age(entryId, 'c1', 50_000);

    await expect(client.vqRefreshClaims(stream, 'g', 'c1', 0, entryId)).resolves.toEqual([]);

    const [, owner, idle, deliveries] = (await pendingEntry(client, stream, 'g', entryId))!;
    expect(owner).toBe('c1');
    expect(idle).toBeLessThan(5_000);
    expect(deliveries).toBe(1);
  });

  it('sets a given idle time (hand back at shutdown)', async () => {
    await client.xadd(stream, '*', ...envelopeFields('1'));
    const [entryId] = await deliver(client, stream, 'g', 'c1');
    await expect(client.vqRefreshClaims(stream, 'g', 'c1', 30_000, entryId)).resolves.toEqual([]);
    const [, , idle, deliveries] = (await pendingEntry(client, stream, 'g', entryId))!;
    expect(idle).toBeGreaterThanOrEqual(30_000);
    expect(deliveries).toBe(1);
  });

  it('returns entries no longer ours and leaves them alone', async () => {
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await client.xadd(stream, '*', ...envelopeFields('2'));
    await client.xadd(stream, '*', ...envelopeFields('3'));
    const [mine, taken, acked] = await deliver(client, stream, 'g', 'c1');
    await client.call('XCLAIM', stream, 'g', 'c2', 0, taken);
    await age(taken, 'c2', 40_000);
    await client.xack(stream, 'g', acked);

    await expect(client.vqRefreshClaims(stream, 'g', 'c1', 0, mine, taken, acked)).resolves.toEqual([
      taken,
      acked,
    ]);

    const [, owner, idle] = (await pendingEntry(client, stream, 'g', taken))!;
    expect(owner).toBe('c2');
    expect(idle).toBeGreaterThanOrEqual(40_000);
    await expect(pendingEntry(client, stream, 'g', acked)).resolves.toBeUndefined();
  });

  it('refreshes and hands back every entry given, however many (not only the first)', async () => {
    const count = 600;
    for (let index = 0; index < count; index += 1)
      await client.xadd(stream, '*', ...envelopeFields(`${index}`));
    const entryIds = await deliver(client, stream, 'g', 'c1', count);
    expect(entryIds).toHaveLength(count);
    await client.call('XCLAIM', stream, 'g', 'c1', 0, ...entryIds, 'IDLE', 50_000, 'JUSTID');

    await expect(client.vqRefreshClaims(stream, 'g', 'c1', 0, ...entryIds)).resolves.toEqual([]);
    const refreshed = (await client.xpending(stream, 'g', '-', '+', count)) as [
      string,
      string,
      number,
      number,
    ][];
    expect(refreshed).toHaveLength(count);
    expect(refreshed.filter(([, , idle]) => idle >= 5_000)).toHaveLength(0);
    expect(refreshed.filter(([, owner, , deliveries]) => owner !== 'c1' || deliveries !== 1)).toEqual([]);

    await expect(client.vqRefreshClaims(stream, 'g', 'c1', 30_000, ...entryIds)).resolves.toEqual([]);
    const handedBack = (await client.xpending(stream, 'g', '-', '+', count)) as [
      string,
      string,
      number,
      number,
    ][];
    expect(handedBack.filter(([, , idle]) => idle < 30_000)).toHaveLength(0);
  });
});
