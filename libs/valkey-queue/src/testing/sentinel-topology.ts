import { startBinaryServer } from './binary-server.js';
import { parseInfo, pollUntil, withNodeClient } from './node-admin.js';
import { startSentinelProcess } from './sentinel-process.js';
import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';
import type {
  SentinelTopologyOptions,
  StartedSentinel,
  StartedValkeySentinel,
  TopologyAddress,
} from './topology.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** How long the Sentinels may take to find the replicas and each other (hello messages every 2 s). */
const DISCOVERY_TIMEOUT_MS = 30_000;

/**
 * Starts a primary, `replicas` servers replicating it (waits until they are in sync), then the
 * Sentinels, and waits until every Sentinel knows every replica and every other Sentinel, so a
 * failover can start as soon as the primary dies. Everything started is stopped if a step fails.
 */
export async function startSentinelTopology(
  binary: string,
  options: StartValkeyOptions,
  topology: SentinelTopologyOptions,
  startupTimeout: number,
): Promise<StartedValkeySentinel> {
  const replicaCount = topology.replicas ?? 1;
  const sentinelCount = topology.sentinels ?? 3;
  const name = topology.name ?? 'mymaster';
  if (!/^[\w.-]+$/.test(name))
    throw new ValkeyHarnessError(`sentinel.name must be a plain word, got ${name}`);
  if (
    !Number.isInteger(replicaCount) ||
    replicaCount < 0 ||
    !Number.isInteger(sentinelCount) ||
    sentinelCount < 1
  )
    throw new ValkeyHarnessError(
      'sentinel.replicas must be >= 0 and sentinel.sentinels >= 1 (whole numbers)',
    );
  const topologyState = new SentinelTopology(name, options.password);
  try {
    const primary = await startBinaryServer(binary, options, startupTimeout);
    topologyState.servers.push(primary);
    const replicaOptions: StartValkeyOptions = {
      ...options,
      config: {
        replicaof: `${primary.host} ${primary.port}`,
        ...(options.password !== undefined ? { masterauth: options.password } : {}),
        ...options.config,
      },
    };
    const replicas = await Promise.all(
      Array.from({ length: replicaCount }, () => startBinaryServer(binary, replicaOptions, startupTimeout)),
    );
    topologyState.servers.push(...replicas);
    await pollUntil(() => topologyState.replicasInSync(), 'the replicas to sync', startupTimeout);
    const settings = {
      name,
      primary: { host: primary.host, port: primary.port },
      quorum: topology.quorum ?? Math.floor(sentinelCount / 2) + 1,
      downAfter: topology.downAfter ?? 1_000,
      failoverTimeout: topology.failoverTimeout ?? 5_000,
      password: options.password,
    };
    const sentinels = await Promise.all(
      Array.from({ length: sentinelCount }, () => startSentinelProcess(binary, settings, startupTimeout)),
    );
    topologyState.sentinels.push(...sentinels);
    await pollUntil(
      () => topologyState.sentinelsDiscovered(),
      'the Sentinels to discover',
      DISCOVERY_TIMEOUT_MS,
    );
    return topologyState;
  } catch (error) {
    await topologyState.stop();
    throw error;
  }
}

class SentinelTopology implements StartedValkeySentinel {
  readonly topology = 'sentinel';
  readonly servers: StartedValkey[] = [];
  readonly sentinels: StartedSentinel[] = [];
  #stopping?: Promise<void>;

  constructor(
    readonly name: string,
    readonly password: string | undefined,
  ) {}

  get primary(): StartedValkey {
    return this.servers[0];
  }

  get replicas(): StartedValkey[] {
    return this.servers.slice(1);
  }

  get connection(): { sentinels: TopologyAddress[]; name: string; password?: string } {
    const sentinels = this.sentinels.map(({ host, port }) => ({ host, port }));
    const base = { sentinels, name: this.name };
    return this.password === undefined ? base : { ...base, password: this.password };
  }

  async currentPrimary(): Promise<StartedValkey> {
    const address = await this.askSentinels();
    const server = this.servers.find(({ port }) => port === address.port);
    if (!server)
      throw new ValkeyHarnessError(`The Sentinels name ${address.host}:${address.port}, not started here`);
    return server;
  }

  async killPrimary(): Promise<StartedValkey> {
    const primary = await this.currentPrimary();
    await primary.kill();
    return primary;
  }

  async waitForFailover(previous: StartedValkey, timeoutMs = 30_000): Promise<StartedValkey> {
    let promoted: StartedValkey | undefined;
    await pollUntil(
      async () => {
        const candidate = await this.currentPrimary();
        if (candidate === previous || candidate.pid === undefined) return false;
        const role = await withNodeClient(candidate, this.password, async (client) =>
          parseInfo(await client.info('replication')).get('role'),
        );
        promoted = candidate;
        return role === 'master';
      },
      `a Sentinel failover away from port ${previous.port}`,
      timeoutMs,
    );
    return promoted!;
  }

  /** Every replica reports its link to the primary up, and the primary counts them all. */
  async replicasInSync(): Promise<boolean> {
    const links = await Promise.all(
      this.replicas.map((replica) =>
        withNodeClient(replica, this.password, async (client) =>
          parseInfo(await client.info('replication')).get('master_link_status'),
        ),
      ),
    );
    const connected = await withNodeClient(this.primary, this.password, async (client) =>
      parseInfo(await client.info('replication')).get('connected_slaves'),
    );
    return links.every((link) => link === 'up') && Number(connected) === this.replicas.length;
  }

  /** Every Sentinel lists every replica and every other Sentinel. */
  async sentinelsDiscovered(): Promise<boolean> {
    const views = await Promise.all(
      this.sentinels.map((sentinel) =>
        withNodeClient(sentinel, undefined, async (client) => {
          const replicas = (await client.call('SENTINEL', 'REPLICAS', this.name)) as unknown[];
          const others = (await client.call('SENTINEL', 'SENTINELS', this.name)) as unknown[];
          return replicas.length === this.replicas.length && others.length === this.sentinels.length - 1;
        }),
      ),
    );
    return views.every(Boolean);
  }

  stop(): Promise<void> {
    // Sentinels first, so none starts a failover while the servers go down.
    this.#stopping ??= Promise.all(this.sentinels.map((sentinel) => sentinel.stop()))
      .then(() => Promise.all(this.servers.map((server) => server.stop())))
      .then(() => undefined);
    return this.#stopping;
  }

  /** The primary's address according to the first Sentinel that answers. */
  private async askSentinels(): Promise<TopologyAddress> {
    let lastError: unknown;
    for (const sentinel of this.sentinels.filter(({ pid }) => pid !== undefined)) {
      try {
        const reply = await withNodeClient(sentinel, undefined, (client) =>
          client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name),
        );
        const [host, port] = reply as [string, string];
        return { host, port: Number(port) };
      } catch (error) {
        lastError = error;
      }
    }
    throw new ValkeyHarnessError('No Sentinel answered', { cause: lastError });
  }
}
