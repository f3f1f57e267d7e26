import type { Provider } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { createHash } from 'node:crypto';
import {
  OnBroken,
  OnDead,
  OnMessage,
  QueueAdmin,
  QueueSender,
  QueueWorker,
  type BrokenMessage,
  type DeadMessage,
  type QueueMessage,
  type QueueWorkerHandle,
  type ValkeyClient,
  type ValkeyQueueOptions,
  type WorkerOptions,
} from 'nestjs-valkey-queue';
import { useValkey, type TestValkey } from '../utils/use-valkey.js';
import { inFlightCount, listElement } from './list-test-kit.js';
import {
  bootWorkers,
  clientOf,
  deliver,
  envelopeFields,
  keysOf,
  pendingCount,
  workerOf,
} from './worker-test-kit.js';

/** Envelope fields a test may set on a raw message (wire format v1, as text). */
export type EnvelopeOverrides = Partial<
  Record<'id' | 'attempt' | 'createdAt' | 'expiresAt' | 'headers' | 'v', string>
>;

/** A message as a foreign producer writes it: stream fields, or one list element. */
export type RawMessage = string[] | string;

/** How a test leaves messages delivered to a consumer that never acknowledged them. */
export interface StrandOptions {
  /** The consumer holding them (default `crashed-consumer`). */
  consumer?: string;
  /** True: the consumer still looks alive (fresh PEL entry, live heartbeat); false: it died long ago. */
  alive?: boolean;
  /** How many times each was delivered already (default 1). */
  deliveries?: number;
}

/**
 * What the worker suites need to know about one transport to look at its state from outside,
 * independently of the library (keys written out from docs/key-layout.md).
 */
export interface Transport {
  readonly name: 'stream' | 'list';
  /** Worker options that select the transport. */
  readonly worker: WorkerOptions;
  /** Module options whose sender writes to the transport. */
  readonly app: Partial<ValkeyQueueOptions>;
  /** Worker options that keep consumed messages readable for the test (the stream trims acked entries). */
  readonly keepConsumed: WorkerOptions;
  /** A message in wire format v1 with `payload` as its encoded payload text. */
  envelope(payload: string, overrides?: EnvelopeOverrides): RawMessage;
  /** The message id of a raw message. */
  idOf(raw: RawMessage): string;
  /** Appends raw messages to the queue, oldest (first to be read) first. */
  push(client: ValkeyClient, queue: string, ...raws: RawMessage[]): Promise<void>;
  /** Messages delivered to a consumer and not acknowledged yet (XPENDING, or the in-flight lists). */
  inFlight(client: ValkeyClient, queue: string): Promise<number>;
  /** The message ids delivered to `consumer` and not acknowledged. */
  inFlightIds(client: ValkeyClient, queue: string, consumer: string): Promise<string[]>;
  /** Messages not delivered yet (the group's lag, or the list length). */
  waiting(client: ValkeyClient, queue: string): Promise<number>;
  /** Messages whose delivery count is still recorded (PEL entries, or the list-deliveries hash). */
  deliveryCounts(client: ValkeyClient, queue: string): Promise<number>;
  /** Leaves `raws` delivered to a consumer that did not acknowledge them. */
  strand(client: ValkeyClient, queue: string, raws: RawMessage[], options?: StrandOptions): Promise<void>;
  /** What a dead letter's `sourceId` is (a matcher for toMatchObject). */
  deadSource(queue: string): unknown;
}

/** How long a stranded stream entry has been idle: past every claimIdle the suites use. */
const STRANDED_IDLE_MS = 5_000;

const stream: Transport = {
  name: 'stream',
  worker: {},
  app: {},
  keepConsumed: { trimAcked: false },
  envelope: (payload, overrides) => envelopeFields(payload, overrides),
  idOf: (raw) => raw[raw.indexOf('id') + 1],
  async push(client, queue, ...raws) {
    const pipeline = client.pipeline();
    for (const fields of raws) pipeline.xadd(keysOf(queue).stream, '*', ...(fields as string[]));
    await pipeline.exec();
  },
  inFlight: (client, queue) => pendingCount(client, queue),
  async inFlightIds(client, queue, consumer) {
    const key = keysOf(queue).stream;
    const rows = (await client.xpending(key, 'default', '-', '+', 10_000, consumer)) as [string][];
    const ids: string[] = [];
    for (const [entryId] of rows) {
      const [[, fields]] = await client.xrange(key, entryId, entryId);
      ids.push(fields[fields.indexOf('id') + 1]);
    }
    return ids;
  },
  async waiting(client, queue) {
    const groups = (await client.call('XINFO', 'GROUPS', keysOf(queue).stream)) as unknown[][];
    const group = groups.find((reply) => reply[reply.indexOf('name') + 1] === 'default');
    const lag = group?.[group.indexOf('lag') + 1];
    // A lag the server cannot tell (null) must not read as 0.
    return lag === null || lag === undefined ? Number.NaN : Number(lag);
  },
  deliveryCounts: (client, queue) => pendingCount(client, queue),
  async strand(client, queue, raws, { consumer = 'crashed-consumer', alive = false, deliveries = 1 } = {}) {
    const key = keysOf(queue).stream;
    await stream.push(client, queue, ...raws);
    const entryIds = await deliver(client, key, 'default', consumer, raws.length);
    for (const entryId of entryIds) {
      // XCLAIM without JUSTID counts a delivery.
      for (let count = 1; count < deliveries; count += 1)
        await client.call('XCLAIM', key, 'default', consumer, 0, entryId);
      if (!alive)
        await client.call('XCLAIM', key, 'default', consumer, 0, entryId, 'IDLE', STRANDED_IDLE_MS, 'JUSTID');
    }
  },
  deadSource: () => expect.stringMatching(/^\d+-\d+$/),
};

/** The list-deliveries field of an element: the SHA-1 of its bytes. */
const sha1 = (element: string): string => createHash('sha1').update(element, 'utf8').digest('hex');

const list: Transport = {
  name: 'list',
  worker: { transport: 'list' },
  app: { sender: { transport: 'list' } },
  keepConsumed: {},
  envelope(payload, { attempt, createdAt, expiresAt, headers, ...text } = {}) {
    const numbers = Object.entries({ attempt, createdAt, expiresAt })
      .filter(([, value]) => value !== undefined)
      .map(([name, value]) => [name, Number(value)]);
    return listElement(payload, {
      ...text,
      ...Object.fromEntries(numbers),
      ...(headers === undefined ? {} : { headers: JSON.parse(headers) as unknown }),
    });
  },
  idOf: (raw) => (JSON.parse(raw as string) as { id: string }).id,
  async push(client, queue, ...raws) {
    await client.lpush(keysOf(queue).list, ...(raws as string[]));
  },
  inFlight: (client, queue) => inFlightCount(client, queue),
  async inFlightIds(client, queue, consumer) {
    return (await client.lrange(keysOf(queue).inflight(consumer), 0, -1)).map((element) =>
      list.idOf(element),
    );
  },
  waiting: (client, queue) => client.llen(keysOf(queue).list),
  deliveryCounts: (client, queue) => client.hlen(keysOf(queue).deliveries),
  async strand(client, queue, raws, { consumer = 'crashed-consumer', alive = false, deliveries = 1 } = {}) {
    const keys = keysOf(queue);
    await client.lpush(keys.inflight(consumer), ...(raws as string[]));
    await client.hset(keys.consumers, consumer, keys.list);
    // The count of deliveries before the last one, as the reaper records it on each return.
    for (const element of raws as string[])
      if (deliveries > 1) await client.hset(keys.deliveries, sha1(element), deliveries - 1);
    if (alive) await client.set(keys.heartbeat(consumer), '1', 'PX', 60_000); // an earlier run, just restarted
  },
  deadSource: (queue) => keysOf(queue).list,
};

/** Every transport, for `describe.each(TRANSPORTS)('... ($name)', (transport) => ...)`. */
export const TRANSPORTS: readonly Transport[] = [stream, list];
export const STREAM = stream;
export const LIST = list;

/** One booted worker app: its module, command client, sender and admin. */
export interface WorkerApp {
  readonly moduleRef: TestingModule;
  readonly client: ValkeyClient;
  readonly sender: QueueSender;
  readonly admin: QueueAdmin;
  /** The worker consuming `queue`. */
  worker(queue: string): QueueWorkerHandle;
  /** Closes the app now (a graceful shutdown), instead of after the test. */
  close(): Promise<void>;
}

/** The server of a suite and a way to boot worker apps that are closed after each test. */
export interface WorkerApps {
  readonly valkey: () => TestValkey;
  boot(providers: Provider[], options?: Partial<ValkeyQueueOptions>): Promise<WorkerApp>;
}

/** Starts a server for the suite; `boot` starts an app with the given workers, closed after each test. */
export function useWorkerApp(): WorkerApps {
  const valkey = useValkey();
  const open = new Set<TestingModule>();
  afterEach(async () => {
    const modules = [...open];
    open.clear();
    await Promise.all(modules.map((moduleRef) => moduleRef.close()));
  });
  const boot = async (
    providers: Provider[],
    options: Partial<ValkeyQueueOptions> = {},
  ): Promise<WorkerApp> => {
    const moduleRef = await bootWorkers(valkey().url, providers, options);
    open.add(moduleRef);
    return {
      moduleRef,
      client: clientOf(moduleRef),
      sender: moduleRef.get(QueueSender),
      admin: moduleRef.get(QueueAdmin),
      worker: (queue) => workerOf(moduleRef, queue),
      async close() {
        if (open.delete(moduleRef)) await moduleRef.close();
      },
    };
  };
  return { valkey, boot };
}

/** A worker (not started until told) collecting the handled, broken and dead messages of `queue`. */
export function collector(queue: string, options: WorkerOptions = {}) {
  const handled: QueueMessage[] = [];
  const broken: BrokenMessage[] = [];
  const dead: DeadMessage[] = [];
  @QueueWorker(queue, { autoStart: false, ...options })
  class CollectingWorker {
    @OnMessage() async handle(message: QueueMessage): Promise<void> {
      handled.push(message);
    }
    @OnBroken() async broken(message: BrokenMessage): Promise<void> {
      broken.push(message);
    }
    @OnDead() async dead(message: DeadMessage): Promise<void> {
      dead.push(message);
    }
  }
  return { CollectingWorker, handled, broken, dead };
}
