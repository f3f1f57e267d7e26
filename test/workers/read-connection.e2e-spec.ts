import { deferred } from 'nestjs-valkey-queue/testing';
import { OnMessage, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { keysMatching, rawClient, serversOf } from '../utils/raw-client.js';
import { TRANSPORTS, useWorkerApp } from './transport-kit.js';
import { keysOf, uniqueQueue, waitFor } from './worker-test-kit.js';

const apps = useWorkerApp();

/**
 * The worker's read connections (named after `queue`), as `<server>:<id>` from CLIENT LIST on every
 * server: one, or one per primary a Cluster client connected to.
 */
async function readConnectionsOf(queue: string): Promise<string[]> {
  const checker = rawClient(apps.valkey().url);
  try {
    const lists = await Promise.all((await serversOf(checker)).map((server) => server.client('LIST')));
    return lists
      .flatMap((list, server) =>
        String(list)
          .split('\n')
          .filter((line) => line.includes(`name=vq:`) && line.includes(`:${queue}:`))
          .map((line) => `${server}:${/(?:^|\s)id=(\d+)/.exec(line)![1]}`),
      )
      .sort();
  } finally {
    checker.disconnect();
  }
}

/** Subscribers of `channel` on every server (PUBSUB NUMSUB is per node). */
async function subscribersOf(channel: string): Promise<number> {
  const checker = rawClient(apps.valkey().url);
  try {
    const counts = await Promise.all(
      (await serversOf(checker)).map(async (server) => {
        const [, count] = (await server.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        return Number(count);
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  } finally {
    checker.disconnect();
  }
}

describe.each(TRANSPORTS)(
  'the read connection of a worker not started yet, on the $name transport (real Valkey)',
  (transport) => {
    it('is open once the module booted, changing nothing else on the server; start() reads on it', async () => {
      const queue = uniqueQueue(transport.name);
      const received = deferred<QueueMessage>();
      @QueueWorker(queue, { ...transport.worker, autoStart: false })
      class LateWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          received.resolve(message);
        }
      }
      const app = await apps.boot([LateWorker], transport.app);
      const opened = await readConnectionsOf(queue);
      expect(opened.length).toBeGreaterThan(0);
      // Not started: no consumer group, no heartbeat, no key of the queue at all.
      await expect(keysMatching(app.client, `*${queue}*`)).resolves.toEqual([]);
      // Listening for a pause already: its subscription is not confirmed between start() and the first read.
      await waitFor(
        async () => (await subscribersOf(keysOf(queue).paused)) === 1,
        'the pause subscription',
        5_000,
      );

      await app.sender.send(queue, { n: 1 });
      await app.worker(queue).start();
      await expect(received.promise).resolves.toMatchObject({ payload: { n: 1 } });
      // The same connections, not new ones (a Cluster client may add one for the node it now reads from).
      await expect(readConnectionsOf(queue)).resolves.toEqual(expect.arrayContaining(opened));
    });

    it('is closed when the module shuts down, start() never called', async () => {
      const queue = uniqueQueue(transport.name);
      @QueueWorker(queue, { ...transport.worker, autoStart: false })
      class NeverStarted {
        @OnMessage() handle(): void {}
      }
      const app = await apps.boot([NeverStarted], transport.app);
      expect((await readConnectionsOf(queue)).length).toBeGreaterThan(0);
      await app.close();
      await waitFor(async () => (await readConnectionsOf(queue)).length === 0, 'the read connection closed');
    });
  },
);
