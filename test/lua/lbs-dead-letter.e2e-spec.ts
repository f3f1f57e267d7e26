import type { TestingModule } from '@nestjs/testing';
import { VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import { bootOwnership, ownKeys, uniqueService } from '../ownership/ownership-test-kit.js';
import { useValkey } from '../utils/use-valkey.js';

describe('lbs-dead-letter.lua (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let client: ValkeyClient;
  let service: string;
  let keys: ReturnType<typeof ownKeys>;

  beforeAll(async () => {
    moduleRef = await bootOwnership(valkey().url, undefined);
    client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
  });
  afterAll(async () => moduleRef.close());
  beforeEach(async () => {
    service = uniqueService();
    keys = ownKeys(service);
    await client.xgroup('CREATE', keys.lbs, service, '0', 'MKSTREAM');
  });

  const deadLetter = (id: string, reason: string) =>
    client.vqLbsDeadLetter(keys.lbs, keys.lbsDead, service, id, reason, 1_000);

  it('returns 1: copies the fields verbatim with the reason, then acks and deletes the entry', async () => {
    const id = (await client.xadd(keys.lbs, '*', 'stream', '', 'info', '[1,{}]')) as string;
    await client.xreadgroup('GROUP', service, 'c1', 'STREAMS', keys.lbs, '>');
    await expect(deadLetter(id, 'it must not be empty')).resolves.toBe(1);
    const [[, fields]] = await client.xrange(keys.lbsDead, '-', '+');
    expect(fields.slice(0, 8)).toEqual([
      'stream',
      '',
      'info',
      '[1,{}]',
      'reason',
      'it must not be empty',
      'sourceId',
      id,
    ]);
    expect(fields[8]).toBe('failedAt');
    expect(Math.abs(Number(fields[9]) - Date.now())).toBeLessThan(60_000);
    await expect(client.xlen(keys.lbs)).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
  });

  it('returns 0 for an entry already gone, acknowledging its pending record', async () => {
    const id = (await client.xadd(keys.lbs, '*', 'x', 'y')) as string;
    await client.xreadgroup('GROUP', service, 'c1', 'STREAMS', keys.lbs, '>');
    await client.xdel(keys.lbs, id);
    await expect(deadLetter(id, 'no stream')).resolves.toBe(0);
    await expect(client.exists(keys.lbsDead)).resolves.toBe(0);
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
  });
});
