// Global setup of the cluster run (jest.e2e-cluster.config.js): starts ONE 3-primary Valkey Cluster for
// every suite (about 2 s instead of that per suite) and hands its nodes to them through env
// VALKEY_TEST_CLUSTER_NODES; use-valkey.ts joins it. Suites use unique queue names, so they can share it.
// Jest loads this file with plain Node (no ts-jest, no moduleNameMapper), so it registers the TS loader
// the child-process tests use to run the harness from source.
import { register } from 'node:module';

export default async function startSharedCluster() {
  if (process.env.VALKEY_TEST_TOPOLOGY !== 'cluster') return;
  register('../workers/fixtures/ts-loader-hooks.mjs', import.meta.url);
  const { startValkey } = await import('nestjs-valkey-queue/testing');
  const startedAt = Date.now();
  const cluster = await startValkey({ cluster: { primaries: 3, replicas: 0 } });
  globalThis.__vqTestCluster = cluster;
  process.env.VALKEY_TEST_CLUSTER_NODES = cluster.connection.nodes
    .map(({ host, port }) => `${host}:${port}`)
    .join(',');
  process.stderr.write(
    `\ncluster run: 3-primary cluster on ${process.env.VALKEY_TEST_CLUSTER_NODES} (${Date.now() - startedAt} ms)\n`,
  );
}
