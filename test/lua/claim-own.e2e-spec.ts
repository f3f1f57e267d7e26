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

describe('claim-own.lua (real Valkey)', () => {
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

  it('pages through its own pending entries with delivery counts, then returns an empty cursor', async () => {
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
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await client.xadd(stream, '*', ...envelopeFields('2'));
    const [gone, kept] = await deliver(client, stream, 'g', 'pod-1');
    await client.xdel(stream, gone);
    const [last, claimed] = await client.vqClaimOwn(stream, 'g', 'pod-1', '0-0', 10);
    expect(last).toBe(kept);
    expect(claimed.map(([id]) => id)).toEqual([kept]);
  });
});
