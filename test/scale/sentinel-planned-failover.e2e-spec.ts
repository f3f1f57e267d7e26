import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { QueueSender, ValkeyQueueModule } from 'nestjs-valkey-queue';
import { startValkey, type StartedValkey, type StartedValkeySentinel } from 'nestjs-valkey-queue/testing';
import { keysOf, waitFor } from '../workers/worker-test-kit.js';

const clientOf = (server: StartedValkey): Redis => new Redis({ host: server.host, port: server.port });

/**
 * A planned failover (`SENTINEL FAILOVER`) leaves the old primary running. Until the Sentinels
 * reconfigure it, it still accepts writes, and what it accepts is discarded when it becomes a
 * replica. Found by the torture run (a schedule tick fired twice: once on each side).
 */
describe('Sentinel planned failover: the old primary stays up (real primary, replica, 3 Sentinels)', () => {
  let ha: StartedValkeySentinel;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    ha = await startValkey({ sentinel: { replicas: 1, sentinels: 3, downAfter: 5_000 } });
  }, 60_000);
  afterAll(async () => {
    await moduleRef?.close();
    await ha?.stop();
  });

  it('sends right after the switch reach the new primary, not the old one (failover detection)', async () => {
    const queue = `planned-${randomUUID()}`;
    moduleRef = await Test.createTestingModule({
      imports: [ValkeyQueueModule.forRoot({ connection: ha.connection })],
    }).compile();
    await moduleRef.init();
    const sender = moduleRef.get(QueueSender);
    await sender.send(queue, { before: true });

    const old = await ha.currentPrimary();
    const sentinel = new Redis({ host: ha.sentinels[0].host, port: ha.sentinels[0].port });
    await sentinel.call('SENTINEL', 'FAILOVER', ha.name);
    sentinel.disconnect();
    const promoted = await ha.waitForFailover(old);

    // The Sentinels announce the switch (+switch-master) before they reconfigure the old primary.
    // A send in the moment between the promotion and the announcement reaching this client may
    // still go to the old primary and be discarded: only `durability: { replicas: 1 }` covers that
    // (docs/guarantees.md). What must hold: the client follows the announcement, promptly, and
    // never writes to the old primary again. Without it, the client stays on the old primary,
    // whose writes are discarded and then refused (READONLY) once it is a replica.
    const onPromoted = clientOf(promoted);
    const landed = async (id: string): Promise<boolean> => {
      const entries = await onPromoted.xrange(keysOf(queue).stream, '-', '+');
      return entries.some(([, fields]) => fields[fields.indexOf('id') + 1] === id);
    };
    try {
      const switchedBy = Date.now() + 5_000;
      for (let index = 0; ; index++) {
        const { id } = await sender.send(queue, { probe: index });
        if (await landed(id)) break;
        if (Date.now() > switchedBy)
          throw new Error('sends still reach the old primary 5 s after the failover');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const afterIds: string[] = [];
      for (let index = 0; index < 20; index++) afterIds.push((await sender.send(queue, { after: index })).id);
      await waitFor(
        async () => (await Promise.all(afterIds.map(landed))).every(Boolean),
        'every send after the switch to be on the new primary',
        10_000,
      );
    } finally {
      onPromoted.disconnect();
    }
  });
});
