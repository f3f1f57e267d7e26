import type { ConnectionOptions } from 'nestjs-valkey-queue';
import {
  startValkey,
  ValkeyHarnessError,
  type StartedValkey,
  type StartValkeyOptions,
} from 'nestjs-valkey-queue/testing';
import {
  onCluster,
  registerCluster,
  sharedClusterNodes,
  type TestNode,
  type TestTopology,
} from './topology.js';

/**
 * The server a suite runs against. On the cluster run (`VALKEY_TEST_TOPOLOGY=cluster`) `url`, `host` and
 * `port` are those of one node and stand for the whole cluster: `connection`, `connectionFor(url)` and
 * `rawClient(url)` turn them into cluster connections; `kill()` and `restart()` reject there.
 */
export interface TestValkey extends StartedValkey {
  readonly topology: TestTopology;
  /** Options for `ValkeyQueueModule.forRoot({ connection })`: `{ url }`, or `{ nodes }` on the cluster. */
  readonly connection: ConnectionOptions;
}

/**
 * Starts a real server before the suite's tests and stops it (by PID) after them, even when a
 * test failed. Returns an accessor, since the server exists only once `beforeAll` has run.
 * On the cluster run, a suite without options joins the run's shared 3-primary cluster; a suite with
 * options gets its own cluster with those options on every node.
 */
export function useValkey(options?: StartValkeyOptions): () => TestValkey {
  let server: TestValkey | undefined;
  beforeAll(async () => {
    server = onCluster ? await clusterServer(options) : standalone(await startValkey(options));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('useValkey: the server is not started yet (call it inside a test)');
    return server;
  };
}

/** A standalone server, plus its connection options (a Proxy keeps the harness object's private state). */
function standalone(started: StartedValkey): TestValkey {
  const extra: Pick<TestValkey, 'topology' | 'connection'> = {
    topology: 'standalone',
    connection: { url: started.url },
  };
  return new Proxy(started, {
    get(target, property) {
      if (property in extra) return extra[property as keyof typeof extra];
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as TestValkey;
}

async function clusterServer(options: StartValkeyOptions = {}): Promise<TestValkey> {
  const shared = Object.keys(options).length === 0 ? sharedClusterNodes() : undefined;
  if (shared) return clusterHandle(shared, undefined, () => Promise.resolve());
  const cluster = await startValkey({ ...options, cluster: { primaries: 3, replicas: 0 } });
  return clusterHandle(cluster.connection.nodes, cluster.password, () => cluster.stop());
}

function clusterHandle(
  nodes: TestNode[],
  password: string | undefined,
  stop: () => Promise<void>,
): TestValkey {
  const [{ host, port }] = nodes;
  const url = `redis://${host}:${port}`;
  registerCluster(url, nodes, password);
  const notOnCluster = (action: string): Promise<never> =>
    Promise.reject(new ValkeyHarnessError(`${action}() of "the server" means nothing on the cluster run`));
  return {
    topology: 'cluster',
    connection: password === undefined ? { nodes } : { nodes, password },
    url,
    host,
    port,
    source: 'binary',
    password,
    stop,
    kill: () => notOnCluster('kill'),
    restart: () => notOnCluster('restart'),
  };
}
