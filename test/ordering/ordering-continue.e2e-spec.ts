import { jest } from '@jest/globals';
import type { Cluster } from 'ioredis';
import { OnMessage, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { useWorkerApp } from '../workers/transport-kit.js';
import { stats, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { orderedKeysOf, orderProblems, runsByKey } from './ordering-kit.js';

jest.setTimeout(60_000);

describe('per-key ordering: a busy key goes on in its ack (real Valkey)', () => {
  const apps = useWorkerApp();

  it('an ack hands over the next message of its key without re-readying it, at most 20 in a row; handlers stay within orderedConcurrency', async () => {
    const queue = uniqueQueue('ordered-continue');
    const ledger: string[] = [];
    let running = 0;
    let mostRunning = 0;
    @QueueWorker(queue, { concurrency: 4, orderedConcurrency: 2 })
    class ContinueWorker {
      @OnMessage() async handle(message: QueueMessage<{ key: string; seq: number }>): Promise<void> {
        const { key, seq } = message.payload;
        running += 1;
        mostRunning = Math.max(mostRunning, running);
        ledger.push(`start|${key}|${seq}|me|${performance.now()}`);
        await sleep(Math.random() * 3);
        ledger.push(`end|${key}|${seq}|me|${performance.now()}|1`);
        running -= 1;
      }
    }
    const { sender, client } = await apps.boot([ContinueWorker]);
    // MONITOR on plain sockets: every command a server runs (script commands included); on the
    // cluster, every primary's (MONITOR is node-local).
    const { hostname, port } = new URL(apps.valkey().url);
    const servers = client.isCluster
      ? (client as Cluster)
          .nodes('master')
          .map(({ options }) => ({ host: options.host!, port: options.port! }))
      : [{ host: hostname, port: Number(port) }];
    const feeds = servers.map(() => '');
    const monitors = servers.map(({ host, port: nodePort }, index) => {
      const monitor = connect(nodePort, host);
      monitor.on('data', (chunk: Buffer) => (feeds[index] += chunk.toString('latin1')));
      monitor.write('MONITOR\r\n');
      return monitor;
    });
    await waitFor(() => feeds.every((feed) => feed.startsWith('+OK')), 'MONITOR to start');

    const counts = { a: 45, b: 10, c: 10 };
    for (const [key, count] of Object.entries(counts)) {
      const payloads = Array.from({ length: count }, (_, seq) => ({ key, seq }));
      await sender.sendBatch(queue, payloads, { orderingKey: key });
    }
    const total = counts.a + counts.b + counts.c;
    await waitFor(async () => (await stats(client, queue)).processed === total, 'every ack');
    const ordered = orderedKeysOf(queue);
    await waitFor(async () => (await client.exists(ordered.leases)) === 0, 'every lease to end');
    for (const monitor of monitors) monitor.destroy();
    const feed = feeds.join('\r\n');

    const runs = runsByKey(ledger);
    for (const [key, count] of Object.entries(counts)) {
      expect(orderProblems(runs.get(key) ?? [], count)).toEqual([]);
    }
    expect(mostRunning).toBeLessThanOrEqual(2);
    // A key enters the ready set when its first message is sent, and again only after 20 messages
    // in a row (a: after its 20th and 40th): never between two messages of a run.
    const readied = feed
      .split('\r\n')
      .filter((line) => /"zadd" "[^"]*:ordered:ready"/i.test(line))
      .map((line) => /"zadd" "[^"]*" "\d+" "([^"]+)"/i.exec(line)?.[1]);
    expect(readied.sort()).toEqual(['a', 'a', 'a', 'b', 'c']);
    // Each turn of a key is handed over whole, as a run: one LRANGE of its list per turn (a's 45
    // messages in 20, 20 and 5; one more may look past its last message), and its head is read
    // (LINDEX) only when a turn ends, never once per message.
    const reads = (command: string, key: string) =>
      feed
        .split('\r\n')
        .filter((line) => new RegExp(`"${command}" "[^"]*:ordered:key:${key}"`, 'i').test(line)).length;
    expect([3, 4]).toContain(reads('lrange', 'a'));
    expect(reads('lindex', 'a')).toBeLessThanOrEqual(3);
    await expect(client.exists(ordered.ready, ordered.holders, ordered.takes)).resolves.toBe(0);
  });
});
