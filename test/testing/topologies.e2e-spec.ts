import { Cluster, Redis } from 'ioredis';
import {
  startValkey,
  ValkeyHarnessError,
  type StartedValkeyCluster,
  type StartedValkeySentinel,
} from 'nestjs-valkey-queue/testing';

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Keys whose slots fall on three different thirds of the slot range (so on three primaries). */
const SPREAD_KEYS = ['{a}', '{b}', '{c}']; // slots 15495, 3300, 7365

describe('startValkey({ cluster })', () => {
  describe('3 primaries, no replicas', () => {
    let cluster: StartedValkeyCluster;
    let client: Cluster;
    beforeAll(async () => {
      cluster = await startValkey({ cluster: { primaries: 3, replicas: 0 } });
      client = new Cluster(cluster.connection.nodes, { lazyConnect: true });
      await client.connect();
    }, 60_000);
    afterAll(async () => {
      client?.disconnect();
      await cluster?.stop();
    });

    it('starts three primaries that serve every slot, each with its own PID', async () => {
      expect(cluster.topology).toBe('cluster');
      expect(cluster.nodes).toHaveLength(3);
      expect(cluster.primaries).toHaveLength(3);
      expect(cluster.replicas).toHaveLength(0);
      expect(new Set(cluster.nodes.map(({ pid }) => pid)).size).toBe(3);
      for (const node of cluster.nodes) {
        const direct = new Redis(node.url, { lazyConnect: true, disconnectTimeout: 100 });
        await direct.connect();
        const info = String(await direct.call('CLUSTER', 'INFO'));
        direct.disconnect();
        expect(info).toMatch(/cluster_state:ok/);
        expect(info).toMatch(/cluster_slots_ok:16384/);
      }
    });

    it('serves keys of different slots from different primaries through the connection options', async () => {
      const owners = await Promise.all(SPREAD_KEYS.map((key) => cluster.primaryFor(key)));
      expect(new Set(owners.map(({ port }) => port)).size).toBe(3);
      await Promise.all(SPREAD_KEYS.map((key) => client.set(key, key)));
      await expect(Promise.all(SPREAD_KEYS.map((key) => client.get(key)))).resolves.toEqual(SPREAD_KEYS);
    });
  });

  it('fails over a killed primary to its replica, and stop() ends every process', async () => {
    const cluster = await startValkey({ cluster: { primaries: 3, replicas: 1 } });
    const client = new Cluster(cluster.connection.nodes, { lazyConnect: true });
    const pids = cluster.nodes.map(({ pid }) => pid!);
    try {
      expect(cluster.nodes).toHaveLength(6);
      expect(cluster.replicas).toHaveLength(3);
      await client.connect();
      await client.set('{a}', 'kept');
      const owner = await cluster.primaryFor('{a}');
      // Replicated before the kill, so the promoted replica has it.
      await expect(client.call('WAIT', 1, 5_000)).resolves.toBe(1);
      await owner.kill();
      await cluster.waitUntilHealthy();
      const promoted = await cluster.primaryFor('{a}');
      expect(promoted.port).not.toBe(owner.port);
      expect(cluster.replicas).toContain(promoted);
      await expect(client.get('{a}')).resolves.toBe('kept');
    } finally {
      client.disconnect();
      await cluster.stop();
    }
    expect(pids.filter(isRunning)).toEqual([]);
  }, 90_000);

  it('refuses fewer than 3 primaries with a clear error', async () => {
    await expect(startValkey({ cluster: { primaries: 2 } })).rejects.toThrow(ValkeyHarnessError);
  });
});

describe('startValkey({ sentinel })', () => {
  let ha: StartedValkeySentinel;
  beforeAll(async () => {
    ha = await startValkey({ sentinel: { replicas: 1, sentinels: 3 } });
  }, 60_000);
  afterAll(async () => {
    await ha?.stop();
  });

  it('starts a primary, a replica and three Sentinels that know each other', async () => {
    expect(ha.topology).toBe('sentinel');
    expect(ha.servers).toHaveLength(2);
    expect(ha.sentinels).toHaveLength(3);
    await expect(ha.currentPrimary()).resolves.toBe(ha.primary);
    expect(ha.connection).toEqual({
      name: 'mymaster',
      sentinels: ha.sentinels.map(({ host, port }) => ({ host, port })),
    });
  });

  it('promotes the replica when the primary is killed; stop() ends every process', async () => {
    const client = new Redis({ ...ha.connection, lazyConnect: true, disconnectTimeout: 100 });
    client.on('error', () => undefined);
    const pids = [...ha.servers, ...ha.sentinels].map(({ pid }) => pid!);
    try {
      await client.connect();
      await client.set('k', 'v');
      await expect(client.call('WAIT', 1, 5_000)).resolves.toBe(1);
      const killed = await ha.killPrimary();
      expect(killed).toBe(ha.primary);
      const promoted = await ha.waitForFailover(killed);
      expect(promoted).toBe(ha.replicas[0]);
      await expect(client.get('k')).resolves.toBe('v'); // ioredis asked the Sentinels again
    } finally {
      client.disconnect();
    }
    await ha.stop();
    expect(pids.filter(isRunning)).toEqual([]);
  }, 60_000);
});
