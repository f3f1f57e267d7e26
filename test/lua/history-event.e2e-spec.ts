import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  defineLuaScripts,
  useHistoryScripts,
  usesHistoryScripts,
} from '../../libs/valkey-queue/src/lua/lua-scripts.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { delayedBody, deliver, envelopeFields, serverNow } from '../workers/worker-test-kit.js';
import { scriptKeys } from './lua-kit.js';

/**
 * The events of one history entry (an entry packs one or more, each from its own `e` field; a
 * `many` event stands for one event per message of its JSON list of [id, attempt, labels, priority]).
 */
function unpack(fields: string[]): Record<string, string>[] {
  const unpacked: Record<string, string>[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'e') unpacked.push({});
    unpacked[unpacked.length - 1][fields[i]] = fields[i + 1];
  }
  return unpacked.flatMap(({ many, ...shared }) =>
    many === undefined
      ? [shared]
      : (JSON.parse(many) as string[][]).map(([id, attempt, labels, priority]) => ({
          ...shared,
          id,
          attempt,
          ...(labels ? { labels } : {}),
          ...(priority ? { priority } : {}),
        })),
  );
}

/** The history stream entries of a queue, each as its events (records without the entry ids). */
async function entries(client: Redis, tag: string): Promise<Record<string, string>[][]> {
  return (await client.xrange(`${tag}:history`, '-', '+')).map(([, fields]) => unpack(fields));
}

/** The history events of a queue, in stream order. */
const events = async (client: Redis, tag: string): Promise<Record<string, string>[]> =>
  (await entries(client, tag)).flat();

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
    // With history the caller passes the first entry's event as read (a `many` list); the second
    // is read by the script (1 entry to read, listed first).
    const acked = usesHistoryScripts(client)
      ? [JSON.stringify([['ok-1', '1', '{"tenant":"acme"}', '']]), 1, laterEntry, okEntry]
      : [okEntry, laterEntry];
    await client.vqAck(2, keys.stream, keys.stats, 'g', '0', 0, 'processed', '0', ...acked);
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

  it('packs the events of one script call into one history entry: an ack of two entries is one XADD', async () => {
    const { keys } = await lifecycle(recording);
    const perEntry = (await entries(recording, keys.tag)).map((packed) => packed.map((event) => event.e));
    expect(perEntry).toEqual([
      ['sent'],
      ['deduplicated'],
      ['delayed'],
      ['promoted'],
      ['succeeded', 'succeeded'],
      ['broken'],
    ]);
  });

  it('records an ack from the many list the caller passes, reading only the entries not in it, bytes untouched', async () => {
    const keys = scriptKeys(`history-${randomUUID()}`);
    const labels = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]); // not UTF-8: the script reads it, as bytes
    const stored = [...envelopeFields('p', { id: 'm1' }), 'labels', labels, 'priority', '5'];
    await recording.xadd(keys.stream, '*', ...stored);
    await recording.xadd(keys.stream, '*', ...envelopeFields('p', { id: 'm2' }));
    await recording.xadd(keys.stream, '*', ...envelopeFields('p', { id: 'm3' }));
    const [first, second, third] = await deliver(recording, keys.stream, 'g', 'c1');
    await recording.config('RESETSTAT');
    const many = JSON.stringify([
      ['m2', '1', '{"tenant":"é"}', ''],
      ['m3', '2', '', '7'],
    ]);
    await expect(
      recording.vqAck(
        2,
        keys.stream,
        keys.stats,
        'g',
        '0',
        0,
        'processed',
        '0',
        many,
        1,
        first,
        second,
        third,
      ),
    ).resolves.toBe(3);
    expect(await recording.info('commandstats')).toMatch(/cmdstat_xrange:calls=1,/);
    const [[, recorded]] = await recording.xrangeBuffer(`${keys.tag}:history`, '-', '+');
    const mine = ['id', 'm1', 'attempt', '1', 'labels', labels, 'priority', '5'];
    expect(recorded.map(String)).toEqual([
      'e',
      'succeeded',
      'many',
      many,
      'e',
      'succeeded',
      ...mine.map(String),
    ]);
    expect(recorded[3].toString('utf8')).toBe(many);
    expect(recorded[11]).toEqual(labels);
    await expect(recording.xpending(keys.stream, 'g')).resolves.toEqual([0, null, null, null]);
  });

  it('packs a multi-message send, and a promotion of many, into one entry each', async () => {
    const keys = scriptKeys(`history-${randomUUID()}`);
    const messages = ['a', 'b', 'c'].map((id) => envelopeFields('p', { id }));
    const width = messages[0].length;
    await recording.vqSend(keys.stream, keys.delayed, keys.bodies, keys.sent('a'), keys.dedup('a'), 'stream', 0, 0, 'a', '', 0, '', '', width, 0, ...messages.flat()); // prettier-ignore
    const later = ['x', 'y'].flatMap((id) => [id, delayedBody(envelopeFields('p', { id }))]);
    await recording.vqSend(keys.stream, keys.delayed, keys.bodies, keys.sent('x'), keys.dedup('x'), 'delayed', 0, 0, 'x', '', 0, '', 0, 2, 0, ...later); // prettier-ignore
    await recording.vqPromoteDue(keys.delayed, keys.bodies, keys.stream, keys.dead, 10, 'stream');
    const perEntry = (await entries(recording, keys.tag)).map((packed) =>
      packed.map((event) => `${event.e} ${event.id}`),
    );
    expect(perEntry).toEqual([
      ['sent a', 'sent b', 'sent c'],
      ['delayed x', 'delayed y'],
      ['promoted x', 'promoted y'],
    ]);
  });

  it('splits a packed entry before it outgrows a script call (a send of 1,000 messages)', async () => {
    const keys = scriptKeys(`history-${randomUUID()}`);
    const messages = Array.from({ length: 1_000 }, (_, i) => envelopeFields('p', { id: `m${i}` }));
    await recording.vqSend(keys.stream, keys.delayed, keys.bodies, keys.sent('m0'), keys.dedup('m0'), 'stream', 0, 0, 'm0', '', 0, '', '', messages[0].length, 0, ...messages.flat()); // prettier-ignore
    const packed = await entries(recording, keys.tag);
    expect(packed.length).toBeGreaterThan(1);
    expect(packed.length).toBeLessThan(10);
    expect(packed.flat().map((event) => event.id)).toEqual(messages.map((_, i) => `m${i}`));
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
