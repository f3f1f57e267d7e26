import type { Redis } from 'ioredis';
import {
  detectServerCapabilities,
  markLiveArgs,
} from '../../libs/valkey-queue/src/connection/server-capabilities.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { keysOf, uniqueQueue, waitFor } from '../workers/worker-test-kit.js';

/** XINFO CONSUMERS of one group, by consumer name. */
async function consumers(
  client: Redis,
  stream: string,
  group: string,
): Promise<Map<string, Map<string, unknown>>> {
  const replies = (await client.call('XINFO', 'CONSUMERS', stream, group)) as unknown[][];
  const byName = new Map<string, Map<string, unknown>>();
  for (const reply of replies) {
    const fields = new Map<string, unknown>();
    for (let index = 0; index + 1 < reply.length; index += 2)
      fields.set(String(reply[index]), reply[index + 1]);
    byName.set(String(fields.get('name')), fields);
  }
  return byName;
}

/** The entries of a one-stream read: `[[key, entries]]`, or `[key, entries]` when the server sends a map. */
function entriesOf(reply: unknown): unknown[] {
  const pair = (
    Array.isArray(reply) && typeof reply[0] === 'string' ? reply : (reply as unknown[])[0]
  ) as unknown[];
  return pair[1] as unknown[];
}

describe('server capabilities (real server: whichever VALKEY_SERVER_BIN names)', () => {
  const valkey = useValkey();
  let client: Redis;
  let stream: string;

  beforeAll(() => {
    client = rawClient(valkey().url);
  });
  afterAll(async () => client.quit());
  beforeEach(async () => {
    stream = keysOf(uniqueQueue()).stream;
    await client.xgroup('CREATE', stream, 'g', '0', 'MKSTREAM');
  });

  it('detects what the server really does with a read blocked on an empty stream', async () => {
    const capabilities = await detectServerCapabilities(client);
    expect(capabilities.supported).toBe(true);
    expect(capabilities.server).not.toBe('unknown');
    await client.xreadgroup('GROUP', 'g', 'waiting', 'COUNT', 1, 'BLOCK', 10, 'STREAMS', stream, '>');
    const waiting = (await consumers(client, stream, 'g')).get('waiting');
    // 7.2+/Valkey: the blocked read created the consumer (and `inactive` exists); before: no consumer.
    expect(waiting !== undefined).toBe(capabilities.idleCountsReadAttempts);
    if (waiting) expect(waiting.has('inactive')).toBe(true);
  });

  it('a mark-live read creates the consumer and restarts its idle, and delivers and changes nothing', async () => {
    const pendingId = await client.xadd(stream, '*', 'n', '1');
    await client.xreadgroup('GROUP', 'g', 'c', 'COUNT', 1, 'STREAMS', stream, '>');
    await client.call('XCLAIM', stream, 'g', 'c', 0, pendingId!, 'IDLE', 60_000, 'JUSTID');
    const waitingId = await client.xadd(stream, '*', 'n', '2');
    await waitFor(
      async () => Number((await consumers(client, stream, 'g')).get('c')?.get('idle')) >= 300,
      'the consumer to be idle 300 ms',
    );

    expect(entriesOf(await client.call('XREADGROUP', ...markLiveArgs('g', 'c', stream)))).toEqual([]);
    expect(entriesOf(await client.call('XREADGROUP', ...markLiveArgs('g', 'fresh', stream)))).toEqual([]);

    const after = await consumers(client, stream, 'g');
    expect(Number(after.get('c')?.get('idle'))).toBeLessThan(300);
    expect(Number(after.get('c')?.get('pending'))).toBe(1);
    expect(after.get('fresh')?.get('pending')).toBe(0);
    // The pending entry kept its idle time and delivery count; the waiting one is still undelivered.
    const [[id, owner, idle, deliveries]] = (await client.xpending(stream, 'g', '-', '+', 10)) as [
      string,
      string,
      number,
      number,
    ][];
    expect([id, owner, deliveries]).toEqual([pendingId, 'c', 1]);
    expect(idle).toBeGreaterThanOrEqual(60_000);
    const next = (await client.xreadgroup('GROUP', 'g', 'other', 'COUNT', 10, 'STREAMS', stream, '>')) as [
      string,
      [string, string[]][],
    ][];
    expect(next[0][1].map(([entryId]) => entryId)).toEqual([waitingId]);
  });
});
