import type { Provider } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  VALKEY_QUEUE_CLIENT,
  ValkeyQueueModule,
  WorkerRegistry,
  type QueueWorkerHandle,
  type ValkeyClient,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import { queueKeys } from '../utils/queue-keys.js';
import { connectionFor } from '../utils/topology.js';

/** A unique queue name per test. */
export const uniqueQueue = (label = 'q'): string => `${label}-${randomUUID()}`;

/** The keys of a queue (both transports), written out from docs/key-layout.md. */
export const keysOf = queueKeys;

/** Boots a testing module with the queue module and the given worker providers. */
export async function bootWorkers(
  url: string,
  providers: Provider[],
  options: Partial<ValkeyQueueOptions> = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [ValkeyQueueModule.forRoot({ connection: connectionFor(url), ...options })],
    providers,
  }).compile();
  try {
    await moduleRef.init();
  } catch (error) {
    await moduleRef.close();
    throw error;
  }
  return moduleRef;
}

/** Expects bootstrap to fail and resolves the error (assertions stay outside any catch). */
export async function bootFailure(
  url: string,
  providers: Provider[],
  options: Partial<ValkeyQueueOptions> = {},
): Promise<Error> {
  const result = await bootWorkers(url, providers, options).then(
    async (moduleRef) => {
      await moduleRef.close();
      return undefined;
    },
    (error: Error) => error,
  );
  if (!result) throw new Error('expected bootstrap to fail');
  return result;
}

export const clientOf = (moduleRef: TestingModule): ValkeyClient =>
  moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);

export const workerOf = (moduleRef: TestingModule, queue: string): QueueWorkerHandle => {
  const worker = moduleRef.get(WorkerRegistry).get(queue);
  if (!worker) throw new Error(`no worker for ${queue}`);
  return worker;
};

/** Envelope fields (wire format v1) for a raw XADD. */
export const envelopeFields = (
  payload: string,
  overrides: Partial<Record<'id' | 'attempt' | 'createdAt' | 'expiresAt' | 'headers' | 'v', string>> = {},
): string[] => {
  const fields: Record<string, string> = {
    v: '1',
    id: randomUUID(),
    payload,
    headers: '{}',
    createdAt: String(Date.now()),
    attempt: '1',
    ...overrides,
  };
  return Object.entries(fields).flat();
};

/** Appends raw fields to a queue's stream. */
export const addRaw = (client: ValkeyClient, queue: string, fields: string[]): Promise<string | null> =>
  client.xadd(keysOf(queue).stream, '*', ...fields);

/** Polls `check` until it holds (for state without an event), failing after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The stream entries of a key, as records. */
export async function records(client: ValkeyClient, key: string): Promise<Record<string, string>[]> {
  const entries = await client.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    const record: Record<string, string> = {};
    for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]] = fields[index + 1];
    return record;
  });
}

/** Pending count of a group (XPENDING summary). */
export async function pendingCount(client: ValkeyClient, queue: string, group = 'default'): Promise<number> {
  const summary = (await client.xpending(keysOf(queue).stream, group)) as [number, ...unknown[]];
  return Number(summary[0]);
}

/** The worker counters of a queue. */
export async function stats(client: ValkeyClient, queue: string): Promise<Record<string, number>> {
  const raw = await client.hgetall(keysOf(queue).stats);
  return Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, Number(value)]));
}

/** A payload that a JSON round trip would alter: [] vs {}, a 16-digit integer, 2^53 + 1, an escaped slash, non-ASCII. */
export const TRICKY_PAYLOAD =
  '{"list":[],"map":{},"n":1234567890123456,"big":9007199254740993,"path":"a\\/b","s":"a/b","é":"😀"}';

/** A delayed body as docs/key-layout.md describes it: every field as `<byte length>:<value>`. */
export const delayedBody = (fields: string[]): string =>
  fields.map((field) => `${Buffer.byteLength(field, 'utf8')}:${field}`).join('');

/** Flat fields with `name` set to `value` (replaced in place, or appended). */
export const withField = (fields: string[], name: string, value: string): string[] => {
  const copy = [...fields];
  const index = copy.findIndex((field, position) => position % 2 === 0 && field === name);
  if (index >= 0) copy[index + 1] = value;
  else copy.push(name, value);
  return copy;
};

/** Reads `count` entries of `stream` into the PEL of `consumer` (creating the group from 0 if needed). */
export async function deliver(
  client: ValkeyClient,
  stream: string,
  group: string,
  consumer: string,
  count = 100,
): Promise<string[]> {
  await client.xgroup('CREATE', stream, group, '0', 'MKSTREAM').catch(() => undefined);
  const reply = (await client.xreadgroup(
    'GROUP',
    group,
    consumer,
    'COUNT',
    count,
    'STREAMS',
    stream,
    '>',
  )) as [string, [string, string[]][]][] | null;
  return (reply?.[0]?.[1] ?? []).map(([id]) => id);
}

/** XPENDING details of one entry: [id, consumer, idle ms, deliveries], or undefined when not pending. */
export async function pendingEntry(
  client: ValkeyClient,
  stream: string,
  group: string,
  entryId: string,
): Promise<[string, string, number, number] | undefined> {
  const rows = (await client.xpending(stream, group, entryId, entryId, 1)) as [
    string,
    string,
    number,
    number,
  ][];
  return rows[0];
}

/** The server clock in epoch ms. */
export async function serverNow(client: ValkeyClient): Promise<number> {
  const [seconds, micros] = (await client.call('TIME')) as [string, string];
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}
