import { jest } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { rawClient } from '../utils/raw-client.js';
import { connectionFor } from '../utils/topology.js';
import { useWorkerApp } from '../workers/transport-kit.js';
import { stats, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { orderedKeysOf, orderProblems, runsByKey } from './ordering-kit.js';

/** Child processes load the library from source (TypeScript transpiled on the fly): allow for slow starts. */
jest.setTimeout(180_000);

const fixture = fileURLToPath(new URL('./fixtures/ordered-worker-process.mjs', import.meta.url));
const loader = fileURLToPath(new URL('../workers/fixtures/ts-loader.mjs', import.meta.url));

/** An ordered worker app in a child process; resolves its pid once it is ready. */
function startChild(config: Record<string, unknown>): { child: ChildProcess; ready: Promise<number> } {
  const child = fork(fixture, [], {
    execArgv: ['--import', loader],
    env: {
      ...process.env,
      VQ_CHILD_CONFIG: JSON.stringify({ ...config, connection: connectionFor(String(config.url)) }),
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { type: string; pid: number }) => {
      if (message.type === 'ready') resolve(message.pid);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before ready`)));
  });
  return { child, ready };
}

describe('per-key ordering across worker processes, one SIGKILLed (real Valkey)', () => {
  const apps = useWorkerApp();
  const children: ChildProcess[] = [];
  let client: Redis;
  beforeAll(() => {
    client = rawClient(apps.valkey().url);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
    }
  });
  afterAll(async () => client.quit());

  it('200 keys x 50 messages, 3 instances at concurrency 50, 10% failures, one killed: per key send order, no overlap, all handled', async () => {
    const queue = uniqueQueue('ordered-procs');
    const ledger = `ledger:${queue}`;
    const keys = Array.from({ length: 200 }, (_, index) => `account:${index}`);
    const perKey = 50;
    const total = keys.length * perKey;
    const worker = {
      concurrency: 50,
      claimIdle: 1_000,
      maxRetries: 30,
      backoff: { type: 'fixed', delay: 5 },
    };
    const config = { url: apps.valkey().url, queue, ledger, worker, failRate: 0.1 };
    // The first instance (the victim) has slower handlers, so the kill finds it mid-run.
    const started = [30, 2, 2].map((handlerMs) => startChild({ ...config, handlerMs }));
    children.push(...started.map(({ child }) => child));
    const pids = await Promise.all(started.map(({ ready }) => ready));

    const { sender } = await apps.boot([]);
    // Send order per key: message n of every key before message n + 1 of any.
    for (let seq = 0; seq < perKey; seq++) {
      await Promise.all(keys.map((key) => sender.send(queue, { key, seq }, { orderingKey: key })));
    }

    // Kill one instance mid-run, with its leases live and handlers running.
    await waitFor(async () => (await client.llen(ledger)) >= total / 2, 'a quarter of the runs', 60_000, 5);
    const victim = started[0].child;
    victim.kill('SIGKILL');
    const killedAt = performance.timeOrigin + performance.now();
    await once(victim, 'exit');

    await waitFor(
      async () => (await stats(client as never, queue)).processed >= total,
      'every message',
      90_000,
    );
    const byKey = runsByKey(await client.lrange(ledger, 0, -1));
    const killedOwner = String(pids[0]);
    const problems = keys.flatMap((key) =>
      orderProblems(byKey.get(key) ?? [], perKey, killedOwner, killedAt),
    );
    expect(problems.slice(0, 20)).toEqual([]);
    const runs = [...byKey.values()].flat();
    // The victim really was cut mid-work, and failures really happened and were retried.
    expect(runs.some((run) => run.owner === killedOwner && run.endAt === undefined)).toBe(true);
    expect(runs.filter((run) => run.ok === false).length).toBeGreaterThan(total * 0.05);
    expect(new Set(runs.map((run) => run.owner)).size).toBe(3);
    // Nothing is left: no waiting list, ready key, lease or holder.
    const ordered = orderedKeysOf(queue);
    await waitFor(
      async () => (await client.exists(ordered.ready, ordered.leases, ordered.holders, ordered.takes)) === 0,
      'no ordering state left',
    );
    await expect(client.exists(...keys.map(ordered.list))).resolves.toBe(0);
    await client.del(ledger);
  });
});
