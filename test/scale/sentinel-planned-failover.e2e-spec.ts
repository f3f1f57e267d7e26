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
    const afterIds: string[] = [];
    for (let index = 0; index < 20; index++) {
      afterIds.push((await sender.send(queue, { after: index })).id);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const onPromoted = clientOf(promoted);
    try {
      await waitFor(
        async () => {
          const entries = await onPromoted.xrange(keysOf(queue).stream, '-', '+');
          const ids = new Set(entries.map(([, fields]) => fields[fields.indexOf('id') + 1]));
          return afterIds.every((id) => ids.has(id));
        },
        'every send after the failover to be on the new primary',
        10_000,
      );
    } finally {
      onPromoted.disconnect();
    }
  });
});
