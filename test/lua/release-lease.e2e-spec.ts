import type { TestingModule } from '@nestjs/testing';
import { VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import { bootOwnership, ownKeys, uniqueService } from '../ownership/ownership-test-kit.js';
import { useValkey } from '../utils/use-valkey.js';

describe('release-lease.lua (real Valkey)', () => {
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
    await client.hset(keys.assignment('s1'), 'entryId', entryId, 'owner', 'c1', 'token', 5);
    await client.zadd(keys.assignments, 1, 's1');
  });

  const release = (value: string) =>
    client.vqReleaseLease(
      keys.lbs,
      keys.lease('s1'),
      keys.assignment('s1'),
      keys.assignments,
      service,
      value,
      's1',
    );
  const unchanged = async (): Promise<void> => {
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([1, entryId, entryId, [['c1', '1']]]);
    await expect(client.xlen(keys.lbs)).resolves.toBe(1);
    await expect(client.exists(keys.assignment('s1'))).resolves.toBe(1);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe('1');
  };

  it('returns 1 and completes the stream: lease, LBS entry (acked and deleted), record and index entry gone', async () => {
    await expect(release('c1:5')).resolves.toBe(1);
    await expect(client.exists(keys.lease('s1'), keys.assignment('s1'))).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
    await expect(client.xlen(keys.lbs)).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBeNull();
    await expect(client.get(keys.fence('s1'))).resolves.toBeNull(); // never written here; tokens live on
  });

  it('returns 0 when the lease lapsed, acknowledging nothing', async () => {
    await client.del(keys.lease('s1'));
    await expect(release('c1:5')).resolves.toBe(0);
    await unchanged();
  });

  it('returns -1 when another owner or token holds the lease, acknowledging nothing', async () => {
    await client.set(keys.lease('s1'), 'c2:6');
    await expect(release('c1:5')).resolves.toBe(-1);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c2:6');
    await unchanged();
  });
});
