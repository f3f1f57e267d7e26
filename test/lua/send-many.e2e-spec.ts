import { envelopeFields } from '../utils/delayed.js';
import { useValkey } from '../utils/use-valkey.js';
import { useScripts } from './lua-kit.js';

describe('send-many.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  const key = (suffix: string): string => `${state.keys.tag}:${suffix}`;

  const sendMany = (
    mode: 'stream' | 'list',
    ids: string[],
    data: (string | string[])[],
    {
      markerTtl = 60_000,
      trim = '',
      trimValue = 0,
    }: { markerTtl?: number; trim?: string; trimValue?: number } = {},
  ) =>
    state.client.vqSendMany(
      1 + ids.length,
      key(mode),
      ...ids.map((id) => key(`sent:${id}`)),
      mode,
      markerTtl,
      trim,
      trimValue,
      mode === 'stream' ? 12 : 1,
      ...data,
    );

  it('appends every message in order, with one marker each', async () => {
    const { client } = state;
    const ids = ['a', 'b', 'c'];
    const fields = ids.map((id) => envelopeFields(id, `"${id}"`));

    await expect(sendMany('stream', ids, fields)).resolves.toEqual([0, 0, 0]);

    const entries = await client.xrange(key('stream'), '-', '+');
    expect(entries.map(([, values]) => values)).toEqual(fields);
    for (const id of ids) {
      const ttl = await client.pttl(key(`sent:${id}`));
      expect(ttl).toBeGreaterThan(50_000);
    }
    await expect(client.pttl(key('stream'))).resolves.toBe(-1);
  });

  it('skips (status 2) the messages whose marker exists, and writes the others', async () => {
    const { client } = state;
    await client.set(key('sent:b'), '1', 'PX', 60_000);

    await expect(
      sendMany(
        'stream',
        ['a', 'b', 'c'],
        ['a', 'b', 'c'].map((id) => envelopeFields(id, '1')),
      ),
    ).resolves.toEqual([0, 2, 0]);

    const entries = await client.xrange(key('stream'), '-', '+');
    expect(entries.map(([, values]) => values[3])).toEqual(['a', 'c']);
  });

  it('pushes list elements so that the first is popped first', async () => {
    const { client } = state;
    await expect(sendMany('list', ['a', 'b'], ['first', 'second'])).resolves.toEqual([0, 0]);

    await expect(client.rpop(key('list'), 2)).resolves.toEqual(['first', 'second']);
  });

  it('writes no markers with a marker TTL of 0', async () => {
    const { client } = state;
    await sendMany('stream', ['a'], [envelopeFields('a', '1')], { markerTtl: 0 });

    await expect(client.exists(key('sent:a'))).resolves.toBe(0);
    await expect(client.xlen(key('stream'))).resolves.toBe(1);
  });

  it('trims the stream with MAXLEN', async () => {
    const { client } = state;
    const ids = Array.from({ length: 300 }, (_, index) => `m${index}`);

    await sendMany(
      'stream',
      ids,
      ids.map((id) => envelopeFields(id, '1')),
      { trim: 'MAXLEN', trimValue: 10 },
    );

    await expect(client.xlen(key('stream'))).resolves.toBeLessThan(300);
  });

  it('writes nothing on a full server', async () => {
    const { client } = state;
    await client.config('SET', 'maxmemory', '1');
    try {
      await expect(
        sendMany('stream', ['a', 'b'], [envelopeFields('a', '1'), envelopeFields('b', '1')]),
      ).rejects.toThrow(/OOM/);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }

    await expect(client.exists(key('stream'), key('sent:a'), key('sent:b'))).resolves.toBe(0);
  });
});
