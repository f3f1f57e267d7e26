import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  InsufficientReplicasError,
  InvalidOptionsError,
  QueueSender,
  SenderStatus,
  type SenderDefaults,
} from 'nestjs-valkey-queue';
import { startValkey, type StartedValkey, type StartedValkeyCluster } from 'nestjs-valkey-queue/testing';
import { bootSender, layout } from '../sender/sender-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';
import { registerCluster } from '../utils/topology.js';

const DURABLE: SenderDefaults = {
  durability: { replicas: 1, timeout: 100 },
  maxRetries: 2,
  retryBackoff: { initialDelay: 10, maxDelay: 20 },
  rateLimit: false,
};

/** WAIT calls a node has served (INFO commandstats). */
async function waitCalls(node: StartedValkey): Promise<number> {
  const client = new Redis(node.url, { disconnectTimeout: 100 });
  try {
    return Number(/cmdstat_wait:calls=(\d+)/.exec(await client.info('commandstats'))?.[1] ?? 0);
  } finally {
    client.disconnect();
  }
}

describe('sender durability: WAIT for replicas (real Valkey)', () => {
  describe('on a server without replicas', () => {
    const valkey = useValkey();
    let moduleRef: TestingModule | undefined;
    afterEach(async () => {
      await moduleRef?.close();
      moduleRef = undefined;
    });

    it('rejects with InsufficientReplicasError after its retries; the message is on the primary, once', async () => {
      moduleRef = await bootSender(valkey().url, DURABLE);
      const sender = moduleRef.get(QueueSender);
      const queue = `durable-${randomUUID()}`;

      const sending = sender.send(queue, { n: 1 });
      await expect(sending).rejects.toBeInstanceOf(InsufficientReplicasError);
      const error = (await sending.catch((failure: unknown) => failure)) as InsufficientReplicasError;
      expect(error).toMatchObject({ code: 'VQ_INSUFFICIENT_REPLICAS', queue, required: 1, acknowledged: 0 });
      expect(error.ids).toHaveLength(1);
      // Retried (the replicas may just be resyncing), and each retry wrote nothing new.
      expect(moduleRef.get(SenderStatus).snapshot().counters.retried).toBe(2);
      const client = new Redis(valkey().url, { disconnectTimeout: 100 });
      await expect(client.xlen(layout(queue).stream)).resolves.toBe(1);
      client.disconnect();
    });

    it('gathers concurrent durable sends (one WAIT) and fails each with its own message id', async () => {
      moduleRef = await bootSender(valkey().url, { ...DURABLE, maxRetries: 0 });
      const sender = moduleRef.get(QueueSender);
      const queue = `durable-${randomUUID()}`;

      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => sender.send(queue, n)));

      const errors = outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.reason : outcome));
      for (const error of errors) expect(error).toBeInstanceOf(InsufficientReplicasError);
      const ids = (errors as InsufficientReplicasError[]).map((error) => error.ids);
      expect(ids.every((own) => own.length === 1)).toBe(true);
      expect(new Set(ids.flat()).size).toBe(6);
    });

    it('refuses a durability timeout that is not below the send timeout', async () => {
      await expect(
        bootSender(valkey().url, { durability: { replicas: 1, timeout: 5_000 }, timeout: 5_000 }),
      ).rejects.toBeInstanceOf(InvalidOptionsError);
      await expect(
        bootSender(valkey().url, { durability: { replicas: 0, timeout: 100 } as never }),
      ).rejects.toThrow(/durability\.replicas/);
    });
  });

  describe('on a cluster with a replica per primary', () => {
    let cluster: StartedValkeyCluster;
    let moduleRef: TestingModule | undefined;
    beforeAll(async () => {
      cluster = await startValkey({ cluster: { primaries: 3, replicas: 1 } });
      registerCluster(cluster.nodes[0].url, cluster.connection.nodes);
    }, 60_000);
    afterAll(async () => {
      await moduleRef?.close();
      await cluster?.stop();
    });

    it('sends WAIT to the primary that took the write, in the same pipeline, and resolves', async () => {
      moduleRef = await bootSender(cluster.nodes[0].url, {
        ...DURABLE,
        durability: { replicas: 1, timeout: 2_000 },
      });
      const sender = moduleRef.get(QueueSender);
      const queue = `durable-${randomUUID()}`;
      const owner = await cluster.primaryFor(layout(queue).tag);
      const before = await Promise.all(cluster.primaries.map(waitCalls));

      await sender.send(queue, 1);
      await sender.sendBatch(queue, [2, 3, 4]);
      await sender.send(queue, 5, { delay: 60_000 });

      const after = await Promise.all(cluster.primaries.map(waitCalls));
      const grown = cluster.primaries.map((node, index) => [node.port, after[index] - before[index]]);
      expect(grown).toEqual(cluster.primaries.map((node) => [node.port, node === owner ? 3 : 0]));
    });

    it('shares one WAIT among concurrent sends gathered into one call', async () => {
      moduleRef ??= await bootSender(cluster.nodes[0].url, {
        ...DURABLE,
        durability: { replicas: 1, timeout: 2_000 },
      });
      const sender = moduleRef.get(QueueSender);
      const queue = `durable-${randomUUID()}`;
      const owner = await cluster.primaryFor(layout(queue).tag);
      const before = await waitCalls(owner);

      await Promise.all(Array.from({ length: 50 }, (_, n) => sender.send(queue, n)));

      const waits = (await waitCalls(owner)) - before;
      expect(waits).toBeGreaterThanOrEqual(1);
      expect(waits).toBeLessThan(50);
    });
  });
});
