// A worker process of the torture run: one worker per workload kind, the schedule's tick worker, and
// a stream-ownership instance that claims lapsed streams and writes fenced entries while it holds
// them. Handlers record `start` and `ok` in this process's ledger before returning, so a record means
// the handler got that far; the ack comes after.
import 'reflect-metadata';
import { Module, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  OnMessage,
  OwnershipFence,
  QueueScheduler,
  QueueWorker,
  StreamOwnershipService,
  TICK_HEADER,
  ValkeyQueueModule,
  type OwnershipLease,
  type QueueMessage,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { proxiedClient, readConfig, tellParent } from './child-config.js';
import { Ledger } from './ledger.js';
import { Rng } from './rng.js';
import {
  HANDLER_TIMEOUT,
  LEASE_TTL,
  OWNED_STREAMS,
  OWNERSHIP_SERVICE,
  queueOf,
  TICK_EVERY,
  TICK_QUEUE,
  TICK_SCHEDULE,
  WORKLOADS,
  type TorturePayload,
  type WorkloadKind,
} from './workloads.js';

const config = readConfig();
const rng = new Rng(config.seed);
const ledger = new Ledger(config.ledgerDir, config.name);
const client = proxiedClient(config);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Non-Error values a handler throws: the worker must treat each as a failed attempt. */
const THROWN_VALUES: unknown[] = ['a string', 42, undefined, null, { not: 'an error' }, Symbol('thrown')];

async function handle(kind: WorkloadKind, msg: QueueMessage<TorturePayload>): Promise<void> {
  const { k, behaviour } = msg.payload;
  const base = { k, kind: kind.name, attempt: msg.attempt, pid: process.pid };
  ledger.record({ type: 'start', ...base });
  try {
    if (behaviour === 'poison') throw new Error(`poison ${k}`);
    if (behaviour === 'fail' && msg.attempt <= 2) throw new Error(`failing attempt ${msg.attempt}`);
    if (behaviour === 'throwValue' && msg.attempt === 1) throw rng.pick(THROWN_VALUES);
    if (behaviour === 'hang' && msg.attempt === 1) {
      // Ignores msg.signal while it sleeps past the timeout: the worker must not start the retry
      // while this still runs. Then it notices the abort, as a handler should, and gives up.
      await sleep(HANDLER_TIMEOUT + 1_000);
      msg.signal.throwIfAborted();
    }
  } catch (error) {
    // The run's end, for the ordering check (no two runs of one ordering key at once).
    ledger.record({ type: 'threw', ...base });
    throw error;
  }
  ledger.record({ type: 'ok', ...base });
}

/** A worker class per queue, decorated at run time. */
function workerFor(
  queue: string,
  options: WorkerOptions,
  run: (msg: QueueMessage) => Promise<void>,
): Provider {
  class TortureWorker {
    handle(msg: QueueMessage): Promise<void> {
      return run(msg);
    }
  }
  OnMessage()(
    TortureWorker.prototype,
    'handle',
    Object.getOwnPropertyDescriptor(TortureWorker.prototype, 'handle')!,
  );
  QueueWorker(queue, options)(TortureWorker);
  return TortureWorker;
}

const workers = WORKLOADS.map((kind) =>
  workerFor(queueOf(kind), { ...kind.worker, deadLetterMaxLen: 1_000_000 }, (msg) =>
    handle(kind, msg as QueueMessage<TorturePayload>),
  ),
);
const tickWorker = workerFor(TICK_QUEUE, { concurrency: 2, claimIdle: 4_000, maxRetries: 4 }, async (msg) => {
  ledger.record({
    type: 'tick',
    fire: Number(msg.headers[TICK_HEADER]),
    attempt: msg.attempt,
    pid: process.pid,
    entryId: msg.entryId,
  });
});

class WorkerModule {}
Module({
  imports: [
    ValkeyQueueModule.forRoot({
      connection: { client },
      ownership: { service: OWNERSHIP_SERVICE, leaseTtl: LEASE_TTL },
    }),
  ],
  providers: [...workers, tickWorker],
})(WorkerModule);

/** While the lease is held, appends `<pid>|<token>` to the stream's log through the fence every 250 ms. */
async function hold(fence: OwnershipFence, lease: OwnershipLease): Promise<void> {
  const log = `${fence.keys(lease.stream).fence.split('}')[0]}}:torture-log:${lease.stream}`;
  while (!lease.signal.aborted) {
    await sleep(250);
    // Not checking the signal first: a holder that was stopped wakes up and tries anyway; the fence refuses it.
    const accepted = await fence
      .write(lease.stream, lease.token, 'RPUSH', [log], [`${process.pid}|${lease.token}`])
      .then(() => true)
      .catch(() => false);
    if (accepted)
      ledger.record({ type: 'fenced', stream: lease.stream, token: lease.token, pid: process.pid });
  }
}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  const ownership = app.get(StreamOwnershipService);
  const fence = app.get(OwnershipFence);
  ownership.events$.subscribe((event) => {
    if (event.type === 'added') void hold(fence, event.lease);
    if (event.type === 'expired')
      void ownership.claim(event.stream).then(
        (lease) => hold(fence, lease),
        () => undefined,
      );
  });
  await app.get(QueueScheduler).upsert({
    name: TICK_SCHEDULE,
    every: TICK_EVERY,
    queue: TICK_QUEUE,
    payload: {},
    startAt: config.startAt,
  });
  if (config.assignStreams) for (const stream of OWNED_STREAMS) await ownership.assign(stream, {});
  app.enableShutdownHooks();
  // Never outlive the harness (it was killed, or stopped by Ctrl-C).
  process.once('disconnect', () => process.exit(0));
  process.on('message', (message: { type: string }) => {
    if (message.type === 'stop')
      void app.close().finally(() => {
        ledger.close();
        client.disconnect();
        process.exit(0);
      });
  });
  tellParent({ type: 'ready' });
}

main().catch((error: unknown) => {
  tellParent({ type: 'failed', message: String(error) });
  process.exit(1);
});
