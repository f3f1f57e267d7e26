import type { TestingModule } from '@nestjs/testing';
import { OnMessage, QueueWorker } from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { addRaw, bootWorkers, envelopeFields, pendingCount, uniqueQueue } from './worker-test-kit.js';

describe('idempotency check failing (real Valkey, ACL without MGET)', () => {
  // The worker connects as a user that may not run MGET, so its processed-marker check fails.
  const valkey = useValkey({ users: [{ name: 'no-mget', password: 'secret', rules: '~* &* +@all -mget' }] });
  let moduleRef: TestingModule | undefined;
  afterEach(async () => moduleRef?.close());

  it('fails closed: the message is not processed and stays pending (contract 38)', async () => {
    const queue = uniqueQueue();
    let calls = 0;
    @QueueWorker(queue, { idempotent: true, claimIdle: 60_000 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        calls += 1;
      }
    }
    const { port } = valkey();
    moduleRef = await bootWorkers(`redis://no-mget:secret@127.0.0.1:${port}`, [Worker]);
    const client = rawClient(valkey().url);
    await addRaw(client, queue, envelopeFields('1'));
    // Absence of a call can only be observed over time: give the worker a few read cycles.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(calls).toBe(0);
    await expect(pendingCount(client, queue)).resolves.toBe(1);
    await client.quit();
  });
});
