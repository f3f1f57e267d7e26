import type { ConnectionOptions } from 'nestjs-valkey-queue';

/**
 * The topology the e2e suites run against: env `VALKEY_TEST_TOPOLOGY=cluster` runs them on a 3-primary
 * Valkey Cluster (`npm run test:e2e:cluster`), anything else on one standalone server.
 */
export type TestTopology = 'standalone' | 'cluster';

export const testTopology: TestTopology =
  process.env.VALKEY_TEST_TOPOLOGY === 'cluster' ? 'cluster' : 'standalone';

/** True when the suites run on the cluster. */
export const onCluster = testTopology === 'cluster';

/** `describe`, or `describe.skip` on the cluster run: for suites that genuinely need one standalone server. */
export const describeStandalone = (reason: string): jest.Describe => {
  if (!onCluster) return describe;
  // One line in the output says why, so a skipped suite is never silent.
  console.info(`skipped on the cluster run: ${reason}`);
  return describe.skip;
};

/** A cluster node or seed, `host:port`. */
export interface TestNode {
  host: string;
  port: number;
}

/** Clusters started (or joined) by this test file, by the `host:port` of the URL the suite was given. */
const clusters = new Map<string, { nodes: TestNode[]; password?: string }>();

/** Remembers that `url` (the URL of one node) stands for a whole cluster. */
export function registerCluster(url: string, nodes: TestNode[], password?: string): void {
  clusters.set(addressOf(url), { nodes, password });
}

/** The cluster `url` stands for, if any. Rejects a DB index other than 0 (a cluster has only DB 0). */
export function clusterOf(url: string): { nodes: TestNode[]; password?: string } | undefined {
  const cluster = clusters.get(addressOf(url));
  if (!cluster) return undefined;
  const db = new URL(url).pathname.replace(/^\//, '');
  if (db !== '' && db !== '0') throw new Error(`A cluster has only DB 0; the test asked for ${url}`);
  return cluster;
}

/**
 * Connection options for `ValkeyQueueModule.forRoot` from the URL a suite was given: `{ url }` on a
 * standalone server, `{ nodes }` (every node as a seed) when the URL is a cluster node.
 */
export function connectionFor(url: string): ConnectionOptions {
  const cluster = clusterOf(url);
  if (!cluster) return { url };
  // Credentials in the URL (an ACL user of the suite) win over the cluster's default password.
  const { username, password } = new URL(url);
  const options: ConnectionOptions = { nodes: cluster.nodes };
  if (username) options.username = decodeURIComponent(username);
  if (password || cluster.password)
    options.password = password ? decodeURIComponent(password) : cluster.password;
  return options;
}

/** The shared cluster of a `test:e2e:cluster` run (env VALKEY_TEST_CLUSTER_NODES, set by its global setup). */
export function sharedClusterNodes(): TestNode[] | undefined {
  const list = process.env.VALKEY_TEST_CLUSTER_NODES;
  if (!list) return undefined;
  return list.split(',').map((address) => {
    const [host, port] = address.split(':');
    return { host, port: Number(port) };
  });
}

function addressOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 6379}`;
}
