import {
  InvalidSendOptionsError,
  OnBroken,
  OnDead,
  OnMessage,
  QueueScheduler,
  QueueWorker,
  type BrokenMessage,
  type DeadMessage,
  type QueueMessage,
  type SendOptions,
  type ValkeyClient,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { rawClient } from '../utils/raw-client.js';
import { LIST, TRANSPORTS, useWorkerApp, type RawMessage, type Transport } from './transport-kit.js';
import { keysOf, records, uniqueQueue, waitFor } from './worker-test-kit.js';

const apps = useWorkerApp();

/** The transports, plus the list transport written in valkeysender's element format. */
const VARIANTS: readonly { name: string; transport: Transport; app: Partial<ValkeyQueueOptions> }[] = [
  ...TRANSPORTS.map((transport) => ({ name: transport.name, transport, app: transport.app })),
  {
    name: 'list (valkeysender format)',
    transport: LIST,
    app: { sender: { transport: 'list', listFormat: 'valkeysender' } },
  },
];

/** `raw` with a `labels` field as a foreign producer wrote it: stream text, or a list element property. */
const withLabels = (raw: RawMessage, labels: unknown): RawMessage =>
  typeof raw === 'string'
    ? JSON.stringify({ ...(JSON.parse(raw) as object), labels })
    : [...raw, 'labels', typeof labels === 'string' ? labels : JSON.stringify(labels)];

/** Whether the queue has no key holding messages (stream, list, delayed set). */
const nothingWritten = async (client: ValkeyClient, queue: string): Promise<boolean> => {
  const keys = keysOf(queue);
  return (await client.exists(keys.stream, keys.list, keys.delayed, keys.bodies)) === 0;
};

const ACME = { tenant: 'acme', tier: 'gold' };
const OTHER = { tenant: 'other', tier: 'gold' };

describe.each(VARIANTS)('message labels on the $name transport (real Valkey)', ({ transport, app }) => {
  const newQueue = (): string => uniqueQueue(transport.name);

  it('are written as the envelope field `labels` (docs/key-layout.md)', async () => {
    const queue = newQueue();
    const { sender, client } = await apps.boot([], app);
    const { id } = await sender.send(queue, 'x', { labels: ACME });
    if (transport.name === 'stream') {
      const [record] = await records(client, keysOf(queue).stream);
      expect(record).toMatchObject({ id, labels: JSON.stringify(ACME) });
    } else {
      const [element] = await client.lrange(keysOf(queue).list, 0, -1);
      expect(JSON.parse(element)).toMatchObject({ id, labels: ACME });
    }
    // No labels, no field: a message without them is written as before.
    await sender.send(queue, 'y');
    const plain =
      transport.name === 'stream'
        ? (await records(client, keysOf(queue).stream))[1]
        : (JSON.parse((await client.lrange(keysOf(queue).list, 0, 0))[0]) as object);
    expect(plain).not.toHaveProperty('labels');
  });

  it('keep their labels through retries and dead letters; admin lists and redrives by label', async () => {
    const queue = newQueue();
    const handled: { id: string; attempt: number; labels: unknown }[] = [];
    const dead: DeadMessage[] = [];
    let failing = true;
    const redriven = deferred<QueueMessage>();
    @QueueWorker(queue, { ...transport.worker, maxRetries: 1, backoff: 10 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.push({ id: message.id, attempt: message.attempt, labels: message.labels });
        if (failing) throw new Error('down');
        redriven.resolve(message);
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.push(message);
      }
    }
    const { sender, admin, client } = await apps.boot([Worker], app);
    const acme = await sender.send(queue, { n: 1 }, { labels: ACME });
    const other = await sender.send(queue, { n: 2 }, { labels: OTHER });
    const plain = await sender.send(queue, { n: 3 });
    await waitFor(() => dead.length === 3, 'three dead messages');

    const labelsOf = (id: string) => handled.filter((call) => call.id === id).map((call) => call.labels);
    expect(labelsOf(acme.id)).toEqual([ACME, ACME]); // attempt 1 and its retry
    expect(labelsOf(other.id)).toEqual([OTHER, OTHER]);
    expect(labelsOf(plain.id)).toEqual([{}, {}]);
    expect(dead.map((message) => [message.id, message.labels])).toEqual(
      expect.arrayContaining([
        [acme.id, ACME],
        [other.id, OTHER],
        [plain.id, {}],
      ]),
    );

    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 3, 'three dead letters');
    const letters = await admin.deadLetters(queue);
    const labelsById = Object.fromEntries(letters.map((letter) => [letter.id, letter.labels]));
    expect(labelsById).toEqual({ [acme.id]: ACME, [other.id]: OTHER, [plain.id]: {} });
    // Filters keep the stream's order (the order the messages died in).
    const inOrder = (...ids: string[]) =>
      letters.map((letter) => letter.id).filter((id) => ids.includes(id!));
    const gold = await admin.deadLetters(queue, { labels: { tier: 'gold' } });
    expect(gold.map((letter) => letter.id)).toEqual(inOrder(acme.id, other.id));
    const acmeOnly = await admin.deadLetters(queue, { labels: { tier: 'gold', tenant: 'acme' } });
    expect(acmeOnly.map((letter) => letter.id)).toEqual([acme.id]);
    await expect(admin.deadLetters(queue, { labels: { tenant: 'nobody' } })).resolves.toEqual([]);
    // A page of one, then the next one from its cursor.
    const [first] = await admin.deadLetters(queue, { labels: { tier: 'gold' }, count: 1 });
    const next = await admin.deadLetters(queue, { labels: { tier: 'gold' }, cursor: first.entryId });
    expect([first.id, ...next.map((letter) => letter.id)]).toEqual(inOrder(acme.id, other.id));

    failing = false;
    await expect(admin.redrive(queue, { labels: { tenant: 'acme' } })).resolves.toBe(1);
    await expect(redriven.promise).resolves.toMatchObject({ id: acme.id, attempt: 1, labels: ACME });
    const left = await admin.deadLetters(queue);
    expect(left.map((letter) => letter.id)).toEqual(inOrder(other.id, plain.id));
    // With ids, both must hold: the id matches, the labels do not.
    await expect(admin.redrive(queue, { ids: [other.id], labels: { tenant: 'acme' } })).resolves.toBe(0);
    await expect(admin.deadLetters(queue)).resolves.toHaveLength(2);
  });

  it('keep their labels through delay, `at`, sendBatch and crash recovery', async () => {
    const queue = newQueue();
    const handled = new Map<string, QueueMessage>();
    @QueueWorker(queue, { ...transport.worker, claimIdle: 1_000 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        handled.set(message.id, message);
      }
    }
    const stranded = withLabels(transport.envelope('"orphan"', { id: 'orphan' }), ACME);
    const producer = rawClient(apps.valkey().url);
    try {
      await transport.strand(producer, queue, [stranded]);
    } finally {
      await producer.quit();
    }
    const { sender } = await apps.boot([Worker], app);
    const delayed = await sender.send(queue, 'delayed', { delay: 50, labels: { kind: 'delay' } });
    const at = await sender.send(queue, 'at', { at: new Date(Date.now() + 50), labels: { kind: 'at' } });
    const batch = await sender.sendBatch(queue, ['b1', 'b2'], { labels: { kind: 'batch' } });
    const delayedBatch = await sender.sendBatch(queue, ['d1'], { delay: 20, labels: { kind: 'later' } });
    const expected: [string, Record<string, string>][] = [
      ['orphan', ACME],
      [delayed.id, { kind: 'delay' }],
      [at.id, { kind: 'at' }],
      [batch[0].id, { kind: 'batch' }],
      [batch[1].id, { kind: 'batch' }],
      [delayedBatch[0].id, { kind: 'later' }],
    ];
    await waitFor(() => handled.size === expected.length, 'every message');
    for (const [id, labels] of expected) expect(handled.get(id)?.labels).toEqual(labels);
    expect(handled.get('orphan')?.attempt).toBe(2); // it was redelivered, not resent
  });

  it('keep the labels of a schedule on its tick messages', async () => {
    const queue = newQueue();
    const tick = deferred<QueueMessage>();
    @QueueWorker(queue, transport.worker)
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        tick.resolve(message);
      }
    }
    const { moduleRef } = await apps.boot([Worker], { ...app, scheduler: { pollInterval: 100 } });
    const scheduler = moduleRef.get(QueueScheduler);
    const name = `labelled-${queue}`;
    await scheduler.upsert({
      name,
      every: 100,
      queue,
      transport: transport.name,
      payload: { report: 'daily' },
      labels: { origin: 'schedule' },
    });
    await expect(scheduler.list()).resolves.toContainEqual(
      expect.objectContaining({ name, labels: { origin: 'schedule' } }),
    );
    try {
      await expect(tick.promise).resolves.toMatchObject({ labels: { origin: 'schedule' } });
    } finally {
      await scheduler.remove(name);
    }
    await expect(
      scheduler.upsert({ name: `${name}-bad`, every: 100, queue, payload: 1, labels: { Bad: 'x' } }),
    ).rejects.toThrow(/labels/);
  });

  it.each<[string, SendOptions, string, RegExp]>([
    ['labels that are not an object', { labels: 'acme' as never }, 'labels', /an object of string values/],
    [
      'more than 16 labels',
      { labels: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
      'labels',
      /at most 16 labels/,
    ],
    ['a label key outside [a-z0-9_.-]', { labels: { Tenant: 'acme' } }, 'labels', /keys of 1-64 characters/],
    ['a label key over 64 characters', { labels: { ['k'.repeat(65)]: 'acme' } }, 'labels', /keys of 1-64/],
    ['a label value that is not a string', { labels: { tenant: 7 as never } }, 'labels.tenant', /a string/],
    [
      'a label value over 256 UTF-8 bytes',
      { labels: { tenant: 'ü'.repeat(129) } },
      'labels.tenant',
      /at most 256 UTF-8 bytes/,
    ],
    ['bad labels on a delayed send', { delay: 50, labels: { 'a b': 'x' } }, 'labels', /keys of 1-64/],
  ])('refuse %s, naming the field, writing nothing', async (_, options, option, rule) => {
    const queue = newQueue();
    const { sender, client } = await apps.boot([], app);
    for (const send of [
      () => sender.send(queue, 1, options),
      () => sender.sendBatch(queue, [1, 2], options),
    ]) {
      const error = await send().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(InvalidSendOptionsError);
      expect(error).toMatchObject({ option, message: expect.stringMatching(rule) });
    }
    await expect(nothingWritten(client, queue)).resolves.toBe(true);
  });

  it.each<[string, unknown]>([
    ['labels that are not JSON', 'tenant=acme'],
    ['labels that are not an object', ['acme']],
    ['a label value that is not a string', { tenant: 1 }],
    ['a label key that breaks the rules', { 'Tenant Name': 'acme' }],
    ['too many labels', Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))],
  ])("make a foreign producer's message with %s broken", async (_, labels) => {
    const queue = newQueue();
    const broken = deferred<BrokenMessage>();
    let handled = 0;
    @QueueWorker(queue, transport.worker)
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        handled += 1;
      }
      @OnBroken() async broken(message: BrokenMessage): Promise<void> {
        broken.resolve(message);
      }
    }
    const { client } = await apps.boot([Worker], app);
    const raw = withLabels(transport.envelope('{"n":1}', { id: 'foreign-1' }), labels);
    await transport.push(client, queue, raw);
    const message = await broken.promise;
    expect(message.error.message).toMatch(/labels/);
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    const [letter] = await records(client, keysOf(queue).dead);
    expect(letter).toMatchObject({ reason: 'broken' });
    expect(handled).toBe(0);
  });
});
