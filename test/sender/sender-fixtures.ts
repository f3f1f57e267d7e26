import type { ModuleMetadata } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  QueueSender,
  ValkeyQueueModule,
  type SenderDefaults,
  type ValkeyQueueOptions,
} from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import { keysMatching, rawClient } from '../utils/raw-client.js';
import { queueKeys } from '../utils/queue-keys.js';
import { connectionFor } from '../utils/topology.js';
import { useValkey, type TestValkey } from '../utils/use-valkey.js';

/** A codec that stores pre-encoded JSON text as is: keeps 9007199254740993 exact. */
export const RAW_JSON_CODEC = {
  encode: (value: unknown): string => value as string,
  decode: (text: string): unknown => text,
};

/** JSON text that a JSON round trip (or Lua cjson) would alter: [] vs {}, 2^53 + 1, a slash. */
export const TRICKY_JSON = '{"list":[],"map":{},"big":9007199254740993,"path":"a/b"}';

/** A unique queue name per test. */
export const newQueue = (): string => `q-${randomUUID()}`;

/** The key layout's keys of `queue` under the default prefix (docs/key-layout.md), written out independently. */
export const layout = queueKeys;

/** Boots a testing module with forRoot (no rate limit unless given) plus extra imports/providers. */
export async function bootSender(
  url: string,
  sender: SenderDefaults = {},
  metadata: ModuleMetadata = {},
  root: Partial<ValkeyQueueOptions> = {},
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ValkeyQueueModule.forRoot({
        connection: connectionFor(url),
        ...root,
        sender,
      }),
      ...(metadata.imports ?? []),
    ],
    providers: metadata.providers ?? [],
  }).compile();
  await moduleRef.init();
  return moduleRef;
}

/** A suite's server, sender module and plain client; the fields are set once `beforeAll` has run. */
export interface SenderSuite {
  readonly valkey: () => TestValkey;
  redis: Redis;
  moduleRef: TestingModule;
  sender: QueueSender;
}

/**
 * Starts a real server for the suite (`useValkey`), then boots a sender module with `sender` defaults
 * and opens a plain client before its tests; closes both after them.
 */
export function useSender(sender: SenderDefaults = {}): SenderSuite {
  const suite = { valkey: useValkey() } as SenderSuite;
  beforeAll(async () => {
    suite.redis = rawClient(suite.valkey().url);
    suite.moduleRef = await bootSender(suite.valkey().url, sender);
    suite.sender = suite.moduleRef.get(QueueSender);
  });
  afterAll(async () => {
    await suite.moduleRef.close();
    await suite.redis.quit();
  });
  return suite;
}

/** Every key that exists with the queue's hash tag (small test databases only; every node of a cluster). */
export const keysOf = (client: Redis, queue: string): Promise<string[]> =>
  keysMatching(client, `${layout(queue).tag.replace(/[{}]/g, '\\$&')}*`);

/**
 * Polls `probe` until it returns a value accepted by `done`, for state that has no event (a
 * promoter run, a key expiry on the server). Bounded: rejects after `timeoutMs`.
 */
export async function pollUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 10_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`pollUntil: condition not met within ${timeoutMs} ms (last: ${String(value)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Stream entries as `{ field: value }` records, oldest first. */
export async function streamRecords(client: Redis, key: string): Promise<Record<string, string>[]> {
  const entries = await client.xrange(key, '-', '+');
  return entries.map(([, fields]) => {
    const record: Record<string, string> = {};
    for (let index = 0; index < fields.length; index += 2) record[fields[index]] = fields[index + 1];
    return record;
  });
}
