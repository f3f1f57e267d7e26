import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startBinaryServer } from './binary-server.js';
import { findCliBinary } from './find-server-binary.js';
import { getFreePort } from './free-port.js';
import { parseInfo, pollUntil, withNodeClient } from './node-admin.js';
import type { StartedValkey, StartValkeyOptions } from './start-valkey.types.js';
import type { ClusterTopologyOptions, StartedValkeyCluster, TopologyAddress } from './topology.types.js';
import { ValkeyHarnessError, ValkeyStartupError } from './valkey-harness.error.js';

const run = promisify(execFile);

/** Default `cluster-node-timeout`: short enough for failover tests, long enough for a loaded machine. */
const DEFAULT_NODE_TIMEOUT_MS = 3_000;
/** Bus ports tried per node before giving up (another process may grab one between probe and bind). */
const MAX_BUS_PORT_ATTEMPTS = 5;
const SLOTS = 16_384;
/** How long `valkey-cli --cluster create` may take. */
const CREATE_TIMEOUT_MS = 60_000;

/**
 * Starts `primaries * (1 + replicas)` cluster-enabled servers on free loopback ports (each with its own
 * `cluster-port`, so bus ports never collide or overflow), joins them with `valkey-cli --cluster create`
 * and waits until every node serves all slots. Everything started is stopped if a step fails.
 */
export async function startCluster(
  binary: string,
  options: StartValkeyOptions,
  topology: ClusterTopologyOptions,
  startupTimeout: number,
): Promise<StartedValkeyCluster> {
  const primaryCount = topology.primaries ?? 3;
  const replicaCount = topology.replicas ?? 0;
  if (!Number.isInteger(primaryCount) || primaryCount < 3)
    throw new ValkeyHarnessError(`A cluster needs at least 3 primaries, got ${primaryCount}`);
  if (!Number.isInteger(replicaCount) || replicaCount < 0)
    throw new ValkeyHarnessError(`cluster.replicas must be a whole number >= 0, got ${replicaCount}`);
  const cli = await findCliBinary(binary);
  const nodeTimeout = topology.nodeTimeout ?? DEFAULT_NODE_TIMEOUT_MS;
  const started = await Promise.allSettled(
    Array.from({ length: primaryCount * (1 + replicaCount) }, () =>
      startClusterNode(binary, options, nodeTimeout, startupTimeout),
    ),
  );
  const nodes = started.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const cluster = new LocalCluster(nodes, options.password);
  try {
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    await createCluster(cli, nodes, replicaCount, options.password);
    await cluster.waitUntilHealthy(Math.max(startupTimeout, 30_000));
    await cluster.learnRoles();
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

async function startClusterNode(
  binary: string,
  options: StartValkeyOptions,
  nodeTimeout: number,
  startupTimeout: number,
): Promise<StartedValkey> {
  for (let attempt = 1; ; attempt++) {
    const busPort = await getFreePort();
    const config: Record<string, string> = {
      'cluster-enabled': 'yes',
      'cluster-config-file': 'nodes.conf', // relative to the node's own temp dir
      'cluster-port': String(busPort),
      'cluster-node-timeout': String(nodeTimeout),
      ...(options.password !== undefined ? { masterauth: options.password } : {}),
      ...options.config,
    };
    try {
      return await startBinaryServer(binary, { ...options, config }, startupTimeout);
    } catch (error) {
      const busTaken = error instanceof ValkeyStartupError && error.output.includes(String(busPort));
      if (!busTaken || attempt >= MAX_BUS_PORT_ATTEMPTS) throw error;
    }
  }
}

async function createCluster(
  cli: string,
  nodes: readonly StartedValkey[],
  replicas: number,
  password: string | undefined,
): Promise<void> {
  const args = ['--cluster', 'create', ...nodes.map(({ host, port }) => `${host}:${port}`)];
  args.push('--cluster-replicas', String(replicas), '--cluster-yes');
  // The password goes through the environment, never the command line (visible in ps).
  const env = password === undefined ? process.env : { ...process.env, REDISCLI_AUTH: password };
  try {
    await run(cli, args, { env, timeout: CREATE_TIMEOUT_MS });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new ValkeyStartupError(`${cli} --cluster create failed`, `${stdout}${stderr}`);
  }
}

/** One line of CLUSTER NODES, the fields the harness needs. */
interface NodeLine {
  port: number;
  flags: string[];
  slots: string[];
}

function parseClusterNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const fields = line.trim().split(' ');
      const port = Number(/:(\d+)@/.exec(fields[1])?.[1]);
      return { port, flags: fields[2].split(','), slots: fields.slice(8) };
    });
}

/** Ports of the live primaries that serve slots, as one comparable string. */
const servingPrimaries = (lines: NodeLine[]): string =>
  lines
    .filter(({ flags, slots }) => flags.includes('master') && !flags.includes('fail') && slots.length > 0)
    .map(({ port }) => port)
    .sort((a, b) => a - b)
    .join(',');

class LocalCluster implements StartedValkeyCluster {
  readonly topology = 'cluster';
  primaries: StartedValkey[] = [];
  replicas: StartedValkey[] = [];
  #stopping?: Promise<void>;

  constructor(
    readonly nodes: StartedValkey[],
    readonly password: string | undefined,
  ) {}

  get connection(): { nodes: TopologyAddress[]; password?: string } {
    const nodes = this.nodes.map(({ host, port }) => ({ host, port }));
    return this.password === undefined ? { nodes } : { nodes, password: this.password };
  }

  /** Orders the nodes by the role `--cluster create` gave them (primaries in slot order). */
  async learnRoles(): Promise<void> {
    const lines = await withNodeClient(this.nodes[0], this.password, async (client) =>
      parseClusterNodes(String(await client.call('CLUSTER', 'NODES'))),
    );
    const firstSlot = (line: NodeLine): number => Number(line.slots[0]?.split('-')[0] ?? SLOTS);
    const primaries = lines
      .filter((line) => line.flags.includes('master'))
      .sort((a, b) => firstSlot(a) - firstSlot(b));
    this.primaries = primaries.map((line) => this.byPort(line.port));
    this.replicas = this.nodes.filter((node) => !this.primaries.includes(node));
    this.nodes.splice(0, this.nodes.length, ...this.primaries, ...this.replicas);
  }

  waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    return pollUntil(() => this.healthy(), 'the cluster to be healthy', timeoutMs);
  }

  private async healthy(): Promise<boolean> {
    const running = this.nodes.filter((node) => node.pid !== undefined);
    const views = await Promise.all(
      running.map((node) =>
        withNodeClient(node, this.password, async (client) => {
          const info = parseInfo(String(await client.call('CLUSTER', 'INFO')));
          const lines = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
          const isReplica = lines.some(({ flags }) => flags.includes('myself') && flags.includes('slave'));
          const synced =
            !isReplica || parseInfo(await client.info('replication')).get('master_link_status') === 'up';
          const ok = info.get('cluster_state') === 'ok' && info.get('cluster_slots_ok') === String(SLOTS);
          return { ok: ok && synced, primaries: servingPrimaries(lines) };
        }),
      ),
    );
    return views.every(({ ok, primaries }) => ok && primaries === views[0].primaries);
  }

  async primaryFor(key: string): Promise<StartedValkey> {
    const node = this.nodes.find(({ pid }) => pid !== undefined);
    if (!node) throw new ValkeyHarnessError('No node of the cluster is running');
    return withNodeClient(node, this.password, async (client) => {
      const slot = Number(await client.call('CLUSTER', 'KEYSLOT', key));
      const lines = parseClusterNodes(String(await client.call('CLUSTER', 'NODES')));
      const owner = lines.find(
        ({ flags, slots }) =>
          flags.includes('master') &&
          !flags.includes('fail') &&
          slots.some((range) => {
            if (range.startsWith('[')) return false; // a slot being migrated or imported
            const [from, to = from] = range.split('-').map(Number);
            return slot >= from && slot <= to;
          }),
      );
      if (!owner) throw new ValkeyHarnessError(`No primary serves slot ${slot} (key ${key})`);
      return this.byPort(owner.port);
    });
  }

  stop(): Promise<void> {
    this.#stopping ??= Promise.all(this.nodes.map((node) => node.stop())).then(() => undefined);
    return this.#stopping;
  }

  private byPort(port: number): StartedValkey {
    const node = this.nodes.find((candidate) => candidate.port === port);
    if (!node)
      throw new ValkeyHarnessError(`The cluster names a node on port ${port} the harness did not start`);
    return node;
  }
}
