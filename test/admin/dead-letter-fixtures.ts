import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import { QueueAdmin, VALKEY_QUEUE_CLIENT, ValkeyQueueModule, type ValkeyClient } from 'nestjs-valkey-queue';
import { useQueueModule, type QueueModuleState } from '../utils/use-queue-module.js';

/**
 * Test-side writers of queue state, following docs/key-layout.md independently of the library's
 * own encoder, so the tests check the documented wire format rather than the code against itself.
 */

/** A payload that JSON round-trips would alter: [] vs {}, 2^53 + 1, an escaped slash, non-ASCII. */
export const TRICKY_PAYLOAD =
  '{"list":[],"map":{},"big":9007199254740993,"path":"a\\/b","text":"a/b","é":"ü"}';

/** Envelope fields of a test message. */
export interface TestEnvelope {
  id: string;
  payload: string;
  headers?: Record<string, string>;
  createdAt?: number;
  attempt?: number;
  expiresAt?: number;
  dedupKey?: string;
  labels?: Record<string, string>;
}

/** What a worker adds when it dead-letters a message. */
export interface DeadLetterMeta {
  reason?: string;
  error?: string;
  attempts?: number;
  failedAt?: number;
  sourceId?: string;
}

/** Stream fields of an envelope (wire format v1), in the documented order. */
export const envelopeFields = (envelope: TestEnvelope): string[] => {
  const fields = [
    'v',
    '1',
    'id',
    envelope.id,
    'payload',
    envelope.payload,
    'headers',
    JSON.stringify(envelope.headers ?? {}),
    'createdAt',
    String(envelope.createdAt ?? 1_764_143_011_120),
    'attempt',
    String(envelope.attempt ?? 4),
  ];
  if (envelope.expiresAt !== undefined) fields.push('expiresAt', String(envelope.expiresAt));
  if (envelope.dedupKey !== undefined) fields.push('dedupKey', envelope.dedupKey);
  if (envelope.labels !== undefined) fields.push('labels', JSON.stringify(envelope.labels));
  return fields;
};

/** A dead-letter entry: the envelope fields verbatim plus reason, error, attempts, failedAt, sourceId. */
export const deadLetterFields = (envelope: TestEnvelope, meta: DeadLetterMeta = {}): string[] => [
  ...envelopeFields(envelope),
  'reason',
  meta.reason ?? 'dead',
  'error',
  meta.error ?? 'boom',
  'attempts',
  String(meta.attempts ?? 4),
  'failedAt',
  String(meta.failedAt ?? 1_764_143_099_000),
  'sourceId',
  meta.sourceId ?? '1764143011123-0',
];

/** A new test envelope with a unique id. */
export const testEnvelope = (overrides: Partial<TestEnvelope> = {}): TestEnvelope => ({
  id: randomUUID(),
  payload: TRICKY_PAYLOAD,
  ...overrides,
});

/** The keys of a queue under the default prefix, spelled as docs/key-layout.md documents them. */
export const testKeys = (queue: string, prefix = 'vq') => {
  const tag = `{${prefix}:${queue}}`;
  return {
    stream: `${tag}:stream`,
    list: `${tag}:list`,
    dead: `${tag}:dead`,
    delayed: `${tag}:delayed`,
    paused: `${tag}:paused`,
    stats: `${tag}:stats`,
    done: (id: string) => `${tag}:done:${id}`,
  };
};

/** Appends entries to a stream in pipelined chunks; resolves their entry ids, in order. */
export async function appendAll(client: ValkeyClient, key: string, entries: string[][]): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < entries.length; start += 500) {
    const pipeline = client.pipeline();
    for (const fields of entries.slice(start, start + 500)) pipeline.xadd(key, '*', ...fields);
    for (const [error, id] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      ids.push(id as string);
    }
  }
  return ids;
}

/** Adds `count` dead letters (reason dead, tricky payload); resolves their envelopes and entry ids. */
export async function addDeadLetters(
  client: ValkeyClient,
  dead: string,
  count: number,
  make: (index: number) => TestEnvelope = () => testEnvelope(),
): Promise<{ envelopes: TestEnvelope[]; entryIds: string[] }> {
  const envelopes = Array.from({ length: count }, (_, index) => make(index));
  const entryIds = await appendAll(
    client,
    dead,
    envelopes.map((envelope) => deadLetterFields(envelope)),
  );
  return { envelopes, entryIds };
}

/** Field/value pairs of a stream entry as an object. */
export const toRecord = (fields: string[]): Record<string, string> => {
  const record: Record<string, string> = {};
  for (let index = 0; index + 1 < fields.length; index += 2) record[fields[index]] = fields[index + 1];
  return record;
};

/** Boots a testing module with the library on `url`, as an app would. */
export async function bootQueueModule(url: string): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [ValkeyQueueModule.forRoot({ connection: { url } })],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** The module's shared client. */
export const sharedClient = (moduleRef: TestingModule): ValkeyClient => moduleRef.get(VALKEY_QUEUE_CLIENT);

/** The keys of a fresh queue (an orders-* name), with the name itself. */
export const adminKeys = (queue = `orders-${randomUUID()}`) => ({ queue, ...testKeys(queue) });

/** The library booted once per suite with its QueueAdmin and shared client, and a fresh queue per test. */
export function useAdmin(
  url: () => string,
): QueueModuleState<ReturnType<typeof adminKeys>> & { admin: QueueAdmin } {
  const state = useQueueModule(url, () => adminKeys()) as QueueModuleState<ReturnType<typeof adminKeys>> & {
    admin: QueueAdmin;
  };
  beforeAll(() => {
    state.admin = state.moduleRef.get(QueueAdmin);
  });
  return state;
}
