import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { defineLuaScripts, useHistoryScripts } from '../../libs/valkey-queue/src/lua/lua-scripts.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { delayedBody, deliver, envelopeFields, serverNow } from '../workers/worker-test-kit.js';
import { scriptKeys } from './lua-kit.js';

/** The history stream entries of a queue, as records without the entry ids. */
async function events(client: Redis, tag: string): Promise<Record<string, string>[]> {
  const entries = await client.xrange(`${tag}:history`, '-', '+');
  return entries.map(([, fields]) =>
    Object.fromEntries(fields.flatMap((_, i) => (i % 2 ? [] : [[fields[i], fields[i + 1]]]))),
  );
}

describe('fragment history-event: scripts append history events only in their history variant (real Valkey)', () => {
  const valkey = useValkey();
  let plain: Redis;
  let recording: Redis;

  beforeAll(() => {
    plain = rawClient(valkey().url);
    defineLuaScripts(plain);
    recording = rawClient(valkey().url);
    useHistoryScripts(recording);
  });

  afterAll(() => {
    plain.disconnect();
    recording.disconnect();
  });

  /** A send of stream messages, a dedup'd send, a delayed send, a promotion, an ack and a broken dead letter. */
  async function lifecycle(client: Redis) {
    const keys = scriptKeys(`history-${randomUUID()}`);
    const send = (mode: string, markerKey: string, dedupTtl: number, firstId: string, delay: number | '', width: number, data: string[]) =>
      client.vqSend(keys.stream, keys.delayed, keys.bodies, keys.sent(firstId), markerKey, mode, 0, dedupTtl, firstId, '', 0, '', delay, width, 0, ...data); // prettier-ignore
    const okFields = [...envelopeFields('p', { id: 'ok-1' }), 'labels', '{"tenant":"acme"}'];
    await send('stream', keys.dedup('k'), 60_000, 'ok-1', '', okFields.length, okFields);
    await client.set(keys.dedup('k'), 'ok-1');
    await expect(
      send('stream', keys.dedup('k'), 60_000, 'dup-1', '', 12, envelopeFields('p', { id: 'dup-1' })),
    ).resolves.toEqual([1, 'ok-1']);
    await send('delayed', keys.sent('later-1'), 0, 'later-1', 0, 2, [
      'later-1',
      delayedBody(envelopeFields('p', { id: 'later-1' })),
    ]);
    await client.vqPromoteDue(keys.delayed, keys.bodies, keys.stream, keys.dead, 10, 'stream');
    await client.xadd(keys.stream, '*', 'v', '1', 'payload', '{bad');
    const delivered = await deliver(client, keys.stream, 'g', 'c1');
    const [okEntry, laterEntry, brokenEntry] = delivered;
    await client.vqAck(2, keys.stream, keys.stats, 'g', '0', 0, 'processed', '0', okEntry, laterEntry);
    await client.vqMoveToDead(
      keys.stream,
      keys.dead,
      keys.stats,
      'g',
      'c1',
      '0',
      1000,
      '0',
      brokenEntry,
      'broken',
      'bad JSON',
      0,
      '0',
      '',
      '',
    );
    return { keys, brokenEntry, now: await serverNow(client) };
  }

  it('writes nothing to a history stream with history off', async () => {
    const { keys } = await lifecycle(plain);
    await expect(plain.exists(`${keys.tag}:history`)).resolves.toBe(0);
    await expect(plain.xlen(keys.dead)).resolves.toBe(1); // the scripts did their work
  });

  it('appends one event per change, in the order of the changes, with history on', async () => {
    const { keys, brokenEntry, now } = await lifecycle(recording);
    const recorded = await events(recording, keys.tag);
    expect(recorded).toEqual([
      { e: 'sent', id: 'ok-1', attempt: '1', labels: '{"tenant":"acme"}' },
      { e: 'deduplicated', id: 'dup-1', of: 'ok-1' },
      { e: 'delayed', id: 'later-1', due: expect.stringMatching(/^\d+$/) },
      { e: 'promoted', id: 'later-1', attempt: '1' },
      { e: 'succeeded', id: 'ok-1', attempt: '1', labels: '{"tenant":"acme"}' },
      { e: 'succeeded', id: 'later-1', attempt: '1' },
      {
        e: 'broken',
        error: 'bad JSON',
        attempts: '0',
        source: brokenEntry,
        raw: delayedBody(['v', '1', 'payload', '{bad']),
      },
    ]);
    expect(Number(recorded[2].due)).toBeLessThanOrEqual(now);
  });

  it('adds the payload to sent events in the payloads variant', async () => {
    const withPayloads = rawClient(valkey().url);
    useHistoryScripts(withPayloads, { payloads: true });
    const { keys } = await lifecycle(withPayloads);
    const recorded = await events(withPayloads, keys.tag);
    withPayloads.disconnect();
    expect(recorded[0]).toEqual({
      e: 'sent',
      id: 'ok-1',
      payload: 'p',
      attempt: '1',
      labels: '{"tenant":"acme"}',
    });
    expect(recorded.slice(1).filter((event) => 'payload' in event)).toEqual([]);
  });
});
