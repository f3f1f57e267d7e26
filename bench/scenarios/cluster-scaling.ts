import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'nestjs-valkey-queue';
import { startValkey, type StartedValkeyCluster } from 'nestjs-valkey-queue/testing';
import { serverCpuMicros } from '../runner.js';
import { defineScenario, type BenchContext, type Contender, type PreparedRun } from '../scenario.js';
import type { AppReply, AppSetup } from './cluster-scaling.app.js';

/**
 * Scale-out: the same end-to-end workload (send, consume, ack) on one Valkey node and on a local
 * 3-primary Valkey Cluster, driven by APPS Node processes (one per primary: each runs the app of
 * QUEUES / APPS queues, with a worker at concurrency 50 per queue, and sends their share of the
 * messages in batches of 100). On the cluster each app's queues live on one primary (picked by the
 * slot of their hash tag). Both setups get the same processes, so the ratio shows the capacity the
 * cluster adds. The timer runs from `run` sent to every app until each reported its messages handled.
 */

const APPS = 3;
const QUEUES = 6;
const BATCH = 100;
const CONCURRENCY = 50;
const APP_SCRIPT = fileURLToPath(new URL('./cluster-scaling.app.js', import.meta.url));

/** Names for `count` queues; on a cluster, the same number on each primary, in primary order. */
async function queueNames(count: number, cluster?: StartedValkeyCluster): Promise<string[]> {
  if (!cluster) return Array.from({ length: count }, () => `bench-${randomUUID()}`);
  const perPrimary = count / cluster.primaries.length;
  const names: string[] = [];
  for (const primary of cluster.primaries) {
    for (let picked = 0; picked < perPrimary;) {
      const name = `bench-${randomUUID()}`;
      if ((await cluster.primaryFor(`{vq:${name}}`)) !== primary) continue;
      names.push(name);
      picked += 1;
    }
  }
  return names;
}

/** One forked app process and the next reply it sends. */
class AppProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;

  constructor(setup: AppSetup) {
    this.#child = fork(APP_SCRIPT, [JSON.stringify(setup)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.#exited = new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  /** The next reply of `type`; rejects if the app fails or exits first. */
  next<T extends AppReply['type']>(type: T): Promise<Extract<AppReply, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void =>
        reject(new Error(`bench app exited (${code}) before '${type}'`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (reply: AppReply) => {
        this.#child.off('exit', onExit);
        if (reply.type === type) resolve(reply as Extract<AppReply, { type: T }>);
        else reject(new Error(reply.type === 'failed' ? reply.message : `bench app sent '${reply.type}'`));
      });
    });
  }

  command(type: 'run' | 'close'): void {
    if (this.#child.connected) this.#child.send({ type });
  }

  /** Closes the app (or kills it if it does not close within 10 s) and waits until it exited. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    this.command('close');
    const killer = setTimeout(() => this.#child.kill('SIGKILL'), 10_000);
    await this.#exited;
    clearTimeout(killer);
  }
}

/** CPU of every server's main thread, in microseconds. */
async function serversCpu(urls: string[]): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => {
      const client = new Redis(url, { lazyConnect: true });
      try {
        await client.connect();
        return serverCpuMicros(await client.info('cpu'));
      } finally {
        client.disconnect();
      }
    }),
  );
}

/**
 * Starts APPS app processes, each with QUEUES / APPS consecutive queues of `queues`. The run reports
 * CPU per message summed over the app processes (`clientMicros`) and over the servers
 * (`serverMicros`), and how busy the busiest app process and the busiest server were.
 */
async function prepare(
  connection: ConnectionOptions,
  serverUrls: string[],
  queues: string[],
  size: number,
): Promise<PreparedRun> {
  const perQueue = Math.ceil(size / queues.length);
  const counts = queues.map((_, index) =>
    index === queues.length - 1 ? size - perQueue * (queues.length - 1) : perQueue,
  );
  const share = queues.length / APPS;
  const apps = Array.from(
    { length: APPS },
    (_, app) =>
      new AppProcess({
        connection,
        queues: queues.slice(app * share, (app + 1) * share),
        counts: counts.slice(app * share, (app + 1) * share),
        batch: BATCH,
        concurrency: CONCURRENCY,
      }),
  );
  const stopAll = async (): Promise<void> => void (await Promise.all(apps.map((app) => app.stop())));
  try {
    await Promise.all(apps.map((app) => app.next('ready')));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    async run() {
      const serversBefore = await serversCpu(serverUrls);
      const startedAt = process.hrtime.bigint();
      const done = apps.map((app) => app.next('done'));
      for (const app of apps) app.command('run');
      const reports = await Promise.all(done);
      const wallMicros = Number(process.hrtime.bigint() - startedAt) / 1e3;
      const servers = (await serversCpu(serverUrls)).map((after, index) => after - serversBefore[index]);
      const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
      return {
        clientMicros: sum(reports.map(({ cpuMicros }) => cpuMicros)) / size,
        serverMicros: sum(servers) / size,
        busiestApp: Math.max(...reports.map(({ cpuMicros, wallMicros: own }) => cpuMicros / own)) * 100,
        busiestServer: (Math.max(...servers) / wallMicros) * 100,
      };
    },
    teardown: stopAll,
  };
}

const singleNode: Contender = {
  name: '1 node',
  async setup(context: BenchContext, size: number) {
    return prepare({ url: context.url }, [context.url], await queueNames(QUEUES), size);
  },
};

const cluster: Contender = {
  name: '3-primary cluster',
  async setup(_context: BenchContext, size: number) {
    // A fresh cluster per run (untimed), so no run pays for another's data.
    const started = await startValkey({ cluster: { primaries: APPS, replicas: 0 } });
    try {
      const urls = started.primaries.map(({ url }) => url);
      const run = await prepare(started.connection, urls, await queueNames(QUEUES, started), size);
      return {
        run: () => run.run(),
        async teardown() {
          await run.teardown();
          await started.stop();
        },
      };
    } catch (error) {
      await started.stop();
      throw error;
    }
  },
};

export default defineScenario({
  id: 'cluster-scaling',
  title: `scale-out: send + consume over ${QUEUES} queues from ${APPS} app processes, 1 node vs a 3-primary cluster`,
  size: (quick) => (quick ? 20_000 : 120_000),
  contenders: [singleNode, cluster],
  ratios: [{ of: '3-primary cluster', to: '1 node' }],
  metrics: [
    { key: 'busiestApp', label: 'busiest app % core', better: 'lower', digits: 0 },
    { key: 'busiestServer', label: 'busiest server % core', better: 'lower', digits: 0 },
  ],
  columns: ['throughput', 'clientMicros', 'serverMicros', 'busiestApp', 'busiestServer'],
  notes:
    `${APPS} forked Node processes drive both setups (one per primary; on the cluster each sends to and ` +
    'consumes the queues of one primary). client µs/msg is the CPU of all app processes per message ' +
    '(process.cpuUsage in each), server µs/msg the main-thread CPU of every server per message: with ' +
    'those, throughput on more cores is projected in docs/scale-out.md. Every process (3 app processes, ' +
    'up to 3 Valkey primaries) shares the cores of this machine: when they are fewer than the processes, ' +
    'the ratio is bounded by the cores, not by the cluster.',
});
