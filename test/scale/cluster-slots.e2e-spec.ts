import type { Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import {
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  UnrecoverableError,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import {
  deferred,
  startValkey,
  type StartedValkey,
  type StartedValkeyCluster,
} from 'nestjs-valkey-queue/testing';
import { registerCluster } from '../utils/topology.js';
import { bootWorkers, waitFor } from '../workers/worker-test-kit.js';

/** Keys (and their slot) of every node of the cluster matching `pattern`, by node port. */
async function keysByNode(cluster: StartedValkeyCluster, pattern: string): Promise<Map<number, string[]>> {
  const found = new Map<number, string[]>();
  for (const node of cluster.primaries) {
    const keys = await onNode(node, (client) => client.keys(pattern));
    if (keys.length > 0) found.set(node.port, keys.sort());
  }
  return found;
}

async function onNode<T>(node: StartedValkey, command: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(node.url, { disconnectTimeout: 100 });
  try {
    return await command(client);
  } finally {
    client.disconnect();
  }
}

/** A worker class for `queue` that resolves `done` after `expected` messages (decorators applied by hand). */
function countingWorker(queue: string, expected: number, done: () => void): Provider {
  let handled = 0;
  class CountingWorker {
    async handle(): Promise<void> {
      if (++handled === expected) done();
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(CountingWorker.prototype, 'handle')!;
  OnMessage()(CountingWorker.prototype, 'handle', descriptor);
  QueueWorker(queue, { concurrency: 20 })(CountingWorker);
  return CountingWorker;
}

describe('hash tags on a real 3-primary cluster (contract 59)', () => {
  let cluster: StartedValkeyCluster;
  let url: string;
  let moduleRef: TestingModule | undefined;

  beforeAll(async () => {
    cluster = await startValkey({ cluster: { primaries: 3, replicas: 0 } });
    url = cluster.nodes[0].url;
    registerCluster(url, cluster.connection.nodes);
  }, 60_000);
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });
  afterAll(async () => cluster?.stop());

  it('keeps every key of a queue (stream, dead letters, delayed, dedup, markers, stats, pause) in one slot', async () => {
    const queue = `slots-${randomUUID()}`;
    const dead = deferred<void>();
    @QueueWorker(queue, { idempotent: true, maxRetries: 0 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage<string>): Promise<void> {
        if (message.payload === 'poison') {
          setImmediate(() => dead.resolve());
          throw new UnrecoverableError('poison');
        }
      }
    }
    moduleRef = await bootWorkers(url, [Worker]);
    const sender = moduleRef.get(QueueSender);
    const admin = moduleRef.get(QueueAdmin);
    await sender.send(queue, 'plain', { dedupKey: 'once' });
    await sender.sendBatch(queue, ['a', 'b']);
    await sender.send(queue, 'poison');
    await sender.send(queue, 'later', { delay: 60_000 });
    await dead.promise;
    await waitFor(async () => (await admin.stats(queue)).processed === 3, 'three processed messages');
    await admin.pause(queue);

    const byNode = await keysByNode(cluster, `*{vq:${queue}}*`);
    expect(byNode.size).toBe(1); // one primary holds them all
    const [keys] = [...byNode.values()];
    const suffixes = new Set(keys.map((key) => key.slice(`{vq:${queue}}:`.length).split(':')[0]));
    expect([...suffixes].sort()).toEqual(
      ['dead', 'dedup', 'delayed', 'done', 'paused', 'sent', 'stats', 'stream'].sort(),
    );
    const [owner] = [...byNode.keys()];
    const slots = await onNode(
      cluster.nodes.find(({ port }) => port === owner)!,
      (client) => Promise.all(keys.map((key) => client.call('CLUSTER', 'KEYSLOT', key))),
    );
    expect(new Set(slots).size).toBe(1);
  });

  it('spreads a multi-queue workload over every primary, each queue on its own node', async () => {
    // Two queues per primary, chosen by the slot of their hash tag.
    const queues: string[] = [];
    for (const primary of cluster.primaries) {
      let picked = 0;
      while (picked < 2) {
        const queue = `spread-${randomUUID()}`;
        if ((await cluster.primaryFor(`{vq:${queue}}`)) !== primary) continue;
        queues.push(queue);
        picked += 1;
      }
    }
    const perQueue = 300;
    const finished = queues.map(() => deferred<void>());
    const workers = queues.map((queue, index) =>
      countingWorker(queue, perQueue, () => finished[index].resolve()),
    );
    const callsBefore = await Promise.all(cluster.primaries.map((node) => scriptCalls(node)));
    moduleRef = await bootWorkers(url, workers);
    const sender = moduleRef.get(QueueSender);

    await Promise.all(
      queues.map(async (queue) => {
        await sender.sendBatch(
          queue,
          Array.from({ length: perQueue / 2 }, (_, index) => index),
        );
        await Promise.all(Array.from({ length: perQueue / 2 }, (_, index) => sender.send(queue, index)));
      }),
    );
    await Promise.all(finished.map(({ promise }) => promise));

    const byNode = await keysByNode(cluster, '*{vq:spread-*}:stream');
    expect([...byNode.keys()].sort()).toEqual(cluster.primaries.map(({ port }) => port).sort());
    for (const keys of byNode.values()) expect(keys).toHaveLength(2);
    const callsAfter = await Promise.all(cluster.primaries.map((node) => scriptCalls(node)));
    // Every primary ran the send and ack scripts of its own queues (batched: tens of calls each).
    callsAfter.forEach((calls, index) => expect(calls - callsBefore[index]).toBeGreaterThan(5));
    const admin = moduleRef.get(QueueAdmin);
    await waitFor(
      async () =>
        (await Promise.all(queues.map((queue) => admin.stats(queue)))).every(
          (stats) => stats.processed === perQueue,
        ),
      'every queue processed and acknowledged in full',
    );
  }, 60_000);
});

/** Script calls (EVAL + EVALSHA) a node has served, from INFO commandstats. */
async function scriptCalls(node: StartedValkey): Promise<number> {
  const info = await onNode(node, (client) => client.info('commandstats'));
  let total = 0;
  for (const match of info.matchAll(/cmdstat_(?:eval|evalsha):calls=(\d+)/g)) total += Number(match[1]);
  return total;
}
