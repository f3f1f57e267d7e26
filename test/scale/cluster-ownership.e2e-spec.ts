import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startValkey, type StartedValkey, type StartedValkeyCluster } from 'nestjs-valkey-queue/testing';
import { FAST, ownKeys, startInstance, waitUntil, type Instance } from '../ownership/ownership-test-kit.js';
import { rawClient } from '../utils/raw-client.js';
import { registerCluster } from '../utils/topology.js';

/** A sweep every minute cannot explain an 'expired' within 2 s: only keyspace notifications can. */
const NOTIFY_ONLY = { ...FAST, sweepInterval: 60_000 };
const WITHIN_MS = 2_000;

/** Sorted flags of a node's notify-keyspace-events. */
async function notifyFlags(node: StartedValkey): Promise<string> {
  const client = new Redis(node.url, { disconnectTimeout: 100 });
  try {
    const [, value] = (await client.config('GET', 'notify-keyspace-events')) as string[];
    return [...value].sort().join('');
  } finally {
    client.disconnect();
  }
}

/** Connections subscribed to lease notifications on a node (one per ownership instance). */
async function subscribersOn(node: StartedValkey): Promise<number> {
  const client = new Redis(node.url, { disconnectTimeout: 100 });
  try {
    const list = String(await client.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    return list.split('\n').filter((line) => line.includes(' name=vq:ownership-events ')).length;
  } finally {
    client.disconnect();
  }
}

/**
 * Lease expiry notifications on Valkey Cluster (contract 49): they are node-local, so the service must
 * configure and subscribe on every primary, and follow a failover to the promoted replica.
 */
describe('ownership expiry notifications on every primary (real 3-primary cluster with replicas)', () => {
  let cluster: StartedValkeyCluster;
  let url: string;
  let raw: Redis;
  const instances: Instance[] = [];

  /** A service name whose hash tag lives on `primary`. */
  async function serviceOn(primary: StartedValkey): Promise<string> {
    for (;;) {
      const service = `svc-${randomUUID()}`;
      if ((await cluster.primaryFor(ownKeys(service).tag)) === primary) return service;
    }
  }

  /**
   * One instance of the pair takes `stream`, the other watches; the lease lapses behind the holder's
   * back; resolves how long the watcher took to hear 'expired'.
   */
  async function lapse(service: string, stream: string, pairOf: Instance[]): Promise<number> {
    const keys = ownKeys(service);
    await pairOf[0].service.assign(stream, { stream });
    const holds = (instance: Instance): boolean =>
      instance.log.of('added').some((event) => event.stream === stream);
    await waitUntil(() => pairOf.some(holds), `'added' for ${stream}`);
    const watcher = pairOf.find((instance) => !holds(instance))!;
    const lapsedAt = Date.now();
    await raw.pexpire(keys.lease(stream), 1);
    await waitUntil(
      async () => (await raw.exists(keys.lease(stream))) === 0,
      'the lease key to expire',
      5_000,
    );
    const [seconds, micros] = await raw.time();
    const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await raw.hset(keys.assignment(stream), 'expiresAt', serverNow);
    await raw.zadd(keys.assignments, serverNow, stream);
    await watcher.log.next('expired', (event) => event.stream === stream, WITHIN_MS + 5_000);
    return Date.now() - lapsedAt;
  }

  async function pair(service: string): Promise<Instance[]> {
    const started = [
      await startInstance(url, { service, ...NOTIFY_ONLY }),
      await startInstance(url, { service, ...NOTIFY_ONLY }),
    ];
    instances.push(...started);
    return started;
  }

  beforeAll(async () => {
    cluster = await startValkey({ cluster: { primaries: 3, replicas: 1 } });
    url = cluster.nodes[0].url;
    registerCluster(url, cluster.connection.nodes);
    raw = rawClient(url);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
    raw?.disconnect();
    await cluster?.stop();
  });

  it('configures every primary and hears a lapse on each of them within 2 s', async () => {
    const services = await Promise.all(cluster.primaries.map((primary) => serviceOn(primary)));
    const pairs = await Promise.all(services.map((service) => pair(service)));

    for (const primary of cluster.primaries) await expect(notifyFlags(primary)).resolves.toBe('Kx');
    for (const replica of cluster.replicas) await expect(notifyFlags(replica)).resolves.toBe('');
    const latencies = await Promise.all(services.map((service, index) => lapse(service, 's1', pairs[index])));
    for (const latency of latencies) expect(latency).toBeLessThan(WITHIN_MS);
  }, 60_000);

  it('follows a failover: the promoted replica is configured and subscribed to', async () => {
    const [primary] = cluster.primaries;
    const service = await serviceOn(primary);
    const instancesOfService = await pair(service);
    await lapse(service, 'before', instancesOfService);

    await primary.kill();
    await cluster.waitUntilHealthy(60_000);
    const promoted = await cluster.primaryFor(ownKeys(service).tag);
    expect(cluster.replicas).toContain(promoted);
    // No event says "re-synced": poll the promoted node (the module re-reads the slot map every 5 s)
    // until it is configured and every instance subscribes to it.
    await waitUntil(
      async () =>
        (await notifyFlags(promoted)) === 'Kx' && (await subscribersOn(promoted)) === instances.length,
      'the promoted primary to be configured and subscribed to',
      30_000,
    );

    await expect(lapse(service, 'after', instancesOfService)).resolves.toBeLessThan(WITHIN_MS);
  }, 120_000);
});
