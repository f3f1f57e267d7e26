import type { TestingModule } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import {
  OnMessage,
  QueueAdmin,
  QueueScheduler,
  QueueSender,
  QueueWorker,
  type QueueMessage,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { bootWorkers, clientOf, stats, waitFor } from '../workers/worker-test-kit.js';

/**
 * Keys written by an earlier version of the library (test/compat/record-layout.mjs ran its
 * workload against that version's build) are replayed into a fresh server, and this version must
 * read every one of them as that version meant: the key layout and the wire format are a contract
 * with the data already in users' servers.
 */
interface RecordedKey {
  key: string;
  type: 'stream' | 'zset' | 'hash' | 'list' | 'string';
  pttl: number;
  entries?: [string, string[]][];
  groups?: { name: string; lastDeliveredId: string }[];
  members?: [string, string][];
  fields?: Record<string, string>;
  elements?: string[];
  value?: string;
}

const RECORDINGS = ['layout-0.1.0.json'];
const STREAM_QUEUE = 'compat-stream';
const LIST_QUEUE = 'compat-list';
/** The recorder's payloads: their text must come back byte for byte. */
const tricky = (n: number) => ({ n, empty: [], object: {}, big: 1234567890123456, path: 'a/b' });

async function restore(client: ValkeyClient, keys: readonly RecordedKey[]): Promise<void> {
  for (const record of keys) {
    const { key } = record;
    if (record.type === 'stream') {
      for (const [id, fields] of record.entries ?? []) await client.xadd(key, id, ...fields);
      for (const group of record.groups ?? []) {
        await client.xgroup('CREATE', key, group.name, group.lastDeliveredId, 'MKSTREAM');
      }
    } else if (record.type === 'zset') {
      await client.zadd(key, ...(record.members ?? []).flatMap(([member, score]) => [score, member]));
    } else if (record.type === 'hash') {
      await client.hset(key, record.fields ?? {});
    } else if (record.type === 'list') {
      await client.rpush(key, ...(record.elements ?? []));
    } else if (record.pttl > 0) {
      await client.set(key, record.value ?? '', 'PX', record.pttl);
    } else {
      await client.set(key, record.value ?? '');
    }
  }
}

/** The envelope ids the recording holds, by payload number: stream entries, list elements and delayed bodies. */
function idsByNumber(keys: readonly RecordedKey[], queue: string): Map<number, string> {
  const ids = new Map<number, string>();
  const note = (text: string): void => {
    for (const match of text.matchAll(/"id"[:,]"([0-9a-f-]{36})".*?\\?"n\\?":(\d+)/g))
      ids.set(Number(match[2]), match[1]);
  };
  for (const record of keys.filter(({ key }) => key.startsWith(`{vq:${queue}}:`))) {
    for (const [, fields] of record.entries ?? []) {
      const id = fields[fields.indexOf('id') + 1];
      const payload = fields[fields.indexOf('payload') + 1];
      if (fields.includes('id') && payload) ids.set((JSON.parse(payload) as { n: number }).n, id);
    }
    for (const element of record.elements ?? []) note(JSON.stringify(JSON.parse(element)));
    for (const body of Object.values(record.fields ?? {})) {
      // stream bodies are `<length>:<value>` fields; list bodies are elements
      const id = /2:id36:([0-9a-f-]{36})/.exec(body)?.[1];
      const n = /\\?"n\\?":(\d+)/.exec(body)?.[1];
      if (id && n) ids.set(Number(n), id);
      else if (body.startsWith('{')) note(JSON.stringify(JSON.parse(body)));
    }
  }
  return ids;
}

describe.each(RECORDINGS)('keys written by an earlier version (%s)', (recording) => {
  const valkey = useValkey();
  const { recordedWith, keys } = JSON.parse(
    readFileSync(new URL(`./fixtures/${recording}`, import.meta.url), 'utf8'),
  ) as { recordedWith: string; keys: RecordedKey[] };
  const handled = new Map<string, QueueMessage<ReturnType<typeof tricky>>[]>();
  let moduleRef: TestingModule;
  let client: ValkeyClient;

  @QueueWorker(STREAM_QUEUE)
  class StreamWorker {
    @OnMessage() handle(message: QueueMessage<ReturnType<typeof tricky>>): void {
      handled.set(STREAM_QUEUE, [...(handled.get(STREAM_QUEUE) ?? []), message]);
    }
  }
  @QueueWorker(LIST_QUEUE, { transport: 'list' })
  class ListWorker {
    @OnMessage() handle(message: QueueMessage<ReturnType<typeof tricky>>): void {
      handled.set(LIST_QUEUE, [...(handled.get(LIST_QUEUE) ?? []), message]);
    }
  }
  const numbers = (queue: string): number[] =>
    (handled.get(queue) ?? []).map((message) => message.payload.n).sort();

  beforeAll(async () => {
    const setup = await bootWorkers(valkey().url, []);
    await restore(clientOf(setup), keys);
    // as if the hour the recorder delayed them by had passed
    for (const queue of [STREAM_QUEUE, LIST_QUEUE]) {
      const delayed = `{vq:${queue}}:delayed`;
      const members = await clientOf(setup).zrange(delayed, '0', '-1');
      await clientOf(setup).zadd(delayed, ...members.flatMap((member) => ['0', member]));
    }
    await setup.close();
    moduleRef = await bootWorkers(valkey().url, [StreamWorker, ListWorker]);
    client = clientOf(moduleRef);
  });
  afterAll(async () => moduleRef?.close());

  it(`holds every kind of key a queue can have (recorded by ${recordedWith})`, () => {
    const kinds = new Set(keys.map(({ key }) => key.replace(/^\{vq:[^}]+\}:/, '').replace(/:.*$/, '')));
    expect([...kinds].sort()).toEqual(
      ['dead', 'dedup', 'delayed', 'list', 'schedule', 'schedules', 'sent', 'stats', 'stream', 'vq'].sort(),
    );
  });

  it('handles what waited, what was delayed and the retry copy, each once, with its id, attempt and exact payload', async () => {
    await waitFor(
      async () => numbers(STREAM_QUEUE).length >= 5 && numbers(LIST_QUEUE).length >= 4,
      'the replayed messages',
    );
    // 0 was acked and 7 dead-lettered by the earlier version; 6 failed once and was waiting to retry
    expect(numbers(STREAM_QUEUE)).toEqual([1, 2, 3, 4, 6]);
    expect(numbers(LIST_QUEUE)).toEqual([1, 2, 4, 6]);
    for (const queue of [STREAM_QUEUE, LIST_QUEUE]) {
      const ids = idsByNumber(keys, queue);
      for (const message of handled.get(queue) ?? []) {
        const { n } = message.payload;
        expect({ queue, n, payload: message.payload }).toEqual({ queue, n, payload: tricky(n) });
        expect({ queue, n, id: message.id }).toEqual({ queue, n, id: ids.get(n) });
        expect({ queue, n, attempt: message.attempt }).toEqual({ queue, n, attempt: n === 6 ? 2 : 1 });
      }
      const first = handled.get(queue)?.find((message) => message.payload.n === 1);
      expect(first?.headers).toEqual({ trace: queue === LIST_QUEUE ? 'l-1' : 't-1' });
    }
  });

  it('lists the dead letters it wrote, redrives the dead one and keeps the broken one', async () => {
    const admin = moduleRef.get(QueueAdmin);
    const streamDead = await admin.deadLetters(STREAM_QUEUE);
    expect(streamDead.map((letter) => letter.reason).sort()).toEqual(['broken', 'dead']);
    const dead = streamDead.find((letter) => letter.reason === 'dead');
    expect(dead).toMatchObject({
      error: 'never works',
      attempts: 1,
      payload: tricky(7),
      id: idsByNumber(keys, STREAM_QUEUE).get(7),
    });
    expect(streamDead.find((letter) => letter.reason === 'broken')?.raw).toMatchObject({
      garbage: 'not an envelope',
    });
    const listDead = await admin.deadLetters(LIST_QUEUE);
    expect(listDead).toEqual([
      expect.objectContaining({ reason: 'dead', payload: tricky(7), sourceId: `{vq:${LIST_QUEUE}}:list` }),
    ]);

    await expect(admin.redrive(STREAM_QUEUE)).resolves.toBe(1);
    await expect(admin.redrive(LIST_QUEUE)).resolves.toBe(1);
    await waitFor(
      async () => numbers(STREAM_QUEUE).includes(7) && numbers(LIST_QUEUE).includes(7),
      'the redriven messages',
    );
    expect(await admin.deadLetters(STREAM_QUEUE)).toEqual([expect.objectContaining({ reason: 'broken' })]);
    // the counters went on from where the earlier version left them: 1 + 5 replayed + 1 redriven
    await waitFor(async () => (await stats(client, STREAM_QUEUE)).processed === 7, 'the processed counter');
    await waitFor(
      async () => (await stats(client, LIST_QUEUE)).processed === 6,
      'the list processed counter',
    );
  });

  it('keeps its dedup keys and its schedules', async () => {
    const again = await moduleRef.get(QueueSender).send(STREAM_QUEUE, tricky(3), { dedupKey: 'order-3' });
    expect(again).toMatchObject({ deduplicated: true, id: idsByNumber(keys, STREAM_QUEUE).get(3) });
    const schedules = await moduleRef.get(QueueScheduler).list();
    expect(schedules).toEqual([
      expect.objectContaining({ name: 'compat-tick', queue: STREAM_QUEUE, every: 86_400_000 }),
    ]);
  });
});
