import type { TestingModule } from '@nestjs/testing';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import {
  bootWorkers,
  clientOf,
  deliver,
  envelopeFields,
  keysOf,
  uniqueQueue,
} from '../workers/worker-test-kit.js';

describe('delete-idle-consumer.lua (real Valkey)', () => {
  const valkey = useValkey();
  let moduleRef: TestingModule;
  let client: ValkeyClient;
  let stream: string;

  beforeAll(async () => {
    moduleRef = await bootWorkers(valkey().url, []);
    client = clientOf(moduleRef);
  });
  afterAll(async () => moduleRef.close());
  beforeEach(async () => {
    stream = keysOf(uniqueQueue()).stream;
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
    await client.xgroup('CREATE', stream, 'other', '0');
  });

  const consumers = async (group: string): Promise<string[]> => {
    const replies = (await client.call('XINFO', 'CONSUMERS', stream, group)) as unknown[][];
    return replies.map((reply) => String(reply[reply.indexOf('name') + 1]));
  };

  it('deletes an idle consumer with nothing pending, only in the given group', async () => {
    await client.xgroup('CREATECONSUMER', stream, 'g', 'gone');
    await client.xgroup('CREATECONSUMER', stream, 'other', 'gone');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'gone', 0)).resolves.toBe(1);
    await expect(consumers('g')).resolves.toEqual([]);
    await expect(consumers('other')).resolves.toEqual(['gone']);
  });

  it('returns -1 and keeps a consumer with pending entries', async () => {
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await deliver(client, stream, 'g', 'busy');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'busy', 0)).resolves.toBe(-1);
    await expect(consumers('g')).resolves.toEqual(['busy']);
  });

  it('returns -2 for a consumer not idle long enough', async () => {
    await client.xgroup('CREATECONSUMER', stream, 'g', 'fresh');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'fresh', 3_600_000)).resolves.toBe(-2);
    await expect(consumers('g')).resolves.toEqual(['fresh']);
  });

  it('returns 0 for an unknown consumer', async () => {
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'nobody', 0)).resolves.toBe(0);
  });
});
