import type { TestingModule } from '@nestjs/testing';
import { VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { bootOwnership, ownKeys, uniqueService } from '../ownership/ownership-test-kit.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';

describe('hand-back-lease.lua (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let client: ValkeyClient;
  let service: string;
  let keys: ReturnType<typeof ownKeys>;
  let entryId: string;

  beforeAll(async () => {
    moduleRef = await bootOwnership(valkey().url, undefined);
    client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
  });
  afterAll(async () => moduleRef.close());
  beforeEach(async () => {
    service = uniqueService();
    keys = ownKeys(service);
    await client.xgroup('CREATE', keys.lbs, service, '0', 'MKSTREAM');
    entryId = (await client.xadd(keys.lbs, '*', 'stream', 's1', 'info', '{}')) as string;
    await client.xreadgroup('GROUP', service, 'c1', 'STREAMS', keys.lbs, '>');
    await client.set(keys.lease('s1'), 'c1:5', 'PX', 10_000);
    await client.hset(keys.assignment('s1'), 'entryId', entryId, 'token', 5, 'expiresAt', 9_999_999_999_999);
    await client.zadd(keys.assignments, 9_999_999_999_999, 's1');
  });

  const handBack = (value: string) =>
    client.vqHandBackLease(
      keys.lease('s1'),
      keys.assignment('s1'),
      keys.assignments,
      value,
      's1',
      keys.handBackChannel,
    );

  it('returns 1: drops the lease, keeps the LBS entry pending, marks it lapsed now and publishes the stream', async () => {
    const subscriber = rawClient(valkey().url);
    const published = deferred<string>();
    subscriber.on('message', (_channel: string, message: string) => published.resolve(message));
    await subscriber.subscribe(keys.handBackChannel);
    try {
      const before = Date.now();
      await expect(handBack('c1:5')).resolves.toBe(1);
      await expect(published.promise).resolves.toBe('s1');
      await expect(client.exists(keys.lease('s1'))).resolves.toBe(0);
      await expect(client.xpending(keys.lbs, service)).resolves.toEqual([1, entryId, entryId, [['c1', '1']]]);
      const lapsedAt = Number(await client.zscore(keys.assignments, 's1'));
      expect(Math.abs(lapsedAt - before)).toBeLessThan(5_000);
      await expect(client.hget(keys.assignment('s1'), 'expiresAt')).resolves.toBe(String(lapsedAt));
    } finally {
      subscriber.disconnect();
    }
  });

  it('returns 0 when the lease is already gone', async () => {
    await client.del(keys.lease('s1'));
    await expect(handBack('c1:5')).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('9999999999999');
  });

  it('returns -1 when another owner or token holds the lease, changing nothing', async () => {
    await client.set(keys.lease('s1'), 'c2:6');
    await expect(handBack('c1:5')).resolves.toBe(-1);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c2:6');
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('9999999999999');
  });
});
