import { delayedBody, envelopeFields, serverNow } from '../utils/delayed.js';
import { useValkey } from '../utils/use-valkey.js';
import { useScripts } from './lua-kit.js';

/** A payload that JSON round-trips would alter: [] vs {}, a 2^53+1 integer, a slash. */
const TRICKY = '{"list":[],"map":{},"big":9007199254740993,"path":"a/b"}';

type Mode = 'stream' | 'list' | 'delayed';
interface Call {
  mode: Mode;
  markerTtl?: number;
  dedupTtl?: number;
  firstId?: string;
  trim?: '' | 'MAXLEN' | 'MINID';
  trimValue?: number;
  dueAt?: number | '';
  delay?: number | '';
  width: number;
  data: (string | string[])[];
  dedupKey?: string;
  /** 1 (the default here): a retry, which checks the marker; 0: a first attempt. */
  retry?: 0 | 1;
}

describe('send.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  const key = (suffix: string): string => `${state.keys.tag}:${suffix}`;

  const send = (call: Call) =>
    state.client.vqSend(
      key(call.mode === 'list' ? 'list' : 'stream'),
      key('delayed'),
      key('delayed:bodies'),
      key(`sent:${call.firstId ?? 'id-1'}`),
      call.dedupKey ? key(`dedup:${call.dedupKey}`) : key(`sent:${call.firstId ?? 'id-1'}`),
      call.mode,
      call.markerTtl ?? 0,
      call.dedupTtl ?? 0,
      call.firstId ?? 'id-1',
      call.trim ?? '',
      call.trimValue ?? 0,
      call.dueAt ?? '',
      call.delay ?? '',
      call.width,
      call.retry ?? 1,
      ...call.data,
    );

  it('appends stream entries with their fields verbatim, in order', async () => {
    const { client } = state;
    const fields = [envelopeFields('id-1', TRICKY), envelopeFields('id-2', '[]')];

    await expect(send({ mode: 'stream', width: 12, data: fields })).resolves.toEqual([0, 2, -1]);

    const entries = await client.xrange(key('stream'), '-', '+');
    expect(entries.map(([, values]) => values)).toEqual(fields);
    await expect(client.pttl(key('stream'))).resolves.toBe(-1);
  });

  it('pushes list elements so that the first one is popped first', async () => {
    const { client } = state;
    await expect(send({ mode: 'list', width: 1, data: ['first', 'second', 'third'] })).resolves.toEqual([
      0, 3, -1,
    ]);

    await expect(client.rpop(key('list'), 3)).resolves.toEqual(['first', 'second', 'third']);
  });

  it('pushes more list elements than one unpack() can take', async () => {
    const { client } = state;
    const elements = Array.from({ length: 2_500 }, (_, index) => `m${index}`);

    await expect(send({ mode: 'list', width: 1, data: elements })).resolves.toEqual([0, 2_500, -1]);

    await expect(client.lrange(key('list'), -1, -1)).resolves.toEqual(['m0']);
    await expect(client.llen(key('list'))).resolves.toBe(2_500);
  });

  it('parks delayed messages at an absolute due time', async () => {
    const { client } = state;
    const dueAt = (await serverNow(client)) + 60_000;
    const body = delayedBody(envelopeFields('id-1', TRICKY));

    await expect(send({ mode: 'delayed', dueAt, width: 2, data: ['id-1', body] })).resolves.toEqual([
      0,
      1,
      dueAt,
    ]);

    await expect(client.zscore(key('delayed'), 'id-1')).resolves.toBe(String(dueAt));
    await expect(client.hget(key('delayed:bodies'), 'id-1')).resolves.toBe(body);
    await expect(client.exists(key('stream'))).resolves.toBe(0);
  });

  it('computes a relative delay on the server clock', async () => {
    const { client } = state;
    const before = await serverNow(client);

    const reply = await send({ mode: 'delayed', delay: 5_000, width: 2, data: ['id-1', 'b1', 'id-2', 'b2'] });

    const after = await serverNow(client);
    expect(reply[0]).toBe(0);
    expect(reply[1]).toBe(2);
    const due = reply[2] as number;
    expect(due).toBeGreaterThanOrEqual(before + 5_000);
    expect(due).toBeLessThanOrEqual(after + 5_000);
    await expect(client.zrange(key('delayed'), '0', '-1', 'WITHSCORES')).resolves.toEqual([
      'id-1',
      String(due),
      'id-2',
      String(due),
    ]);
  });

  it('returns 1 with the first id and writes nothing while the dedup key lives', async () => {
    const { client } = state;
    const first = { mode: 'stream' as const, dedupKey: 'order-1', dedupTtl: 60_000, width: 12 };
    await expect(send({ ...first, firstId: 'id-1', data: [envelopeFields('id-1', '1')] })).resolves.toEqual([
      0, 1, -1,
    ]);

    await expect(send({ ...first, firstId: 'id-2', data: [envelopeFields('id-2', '2')] })).resolves.toEqual([
      1,
      'id-1',
    ]);

    await expect(client.xlen(key('stream'))).resolves.toBe(1);
    const ttl = await client.pttl(key('dedup:order-1'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('returns 2 and writes nothing when the call was already written (marker present)', async () => {
    const { client } = state;
    const call = {
      mode: 'stream' as const,
      markerTtl: 60_000,
      width: 12,
      data: [envelopeFields('id-1', '1')],
    };
    await expect(send(call)).resolves.toEqual([0, 1, -1]);

    await expect(send(call)).resolves.toEqual([2]);

    await expect(client.xlen(key('stream'))).resolves.toBe(1);
    const ttl = await client.pttl(key('sent:id-1'));
    expect(ttl).toBeGreaterThan(50_000);
  });

  it('checks the marker on a first attempt too: one resent as it was after a reconnect writes nothing', async () => {
    const { client } = state;
    const call = {
      mode: 'stream' as const,
      markerTtl: 60_000,
      width: 12,
      data: [envelopeFields('id-1', '1')],
      retry: 0 as const,
    };

    await expect(send(call)).resolves.toEqual([0, 1, -1]);
    // ioredis resends a command left unanswered by a dropped connection, first-attempt flag and all.
    await expect(send(call)).resolves.toEqual([2]);

    await expect(client.xlen(key('stream'))).resolves.toBe(1);
    await expect(send({ ...call, retry: 1 })).resolves.toEqual([2]);
    await expect(client.xlen(key('stream'))).resolves.toBe(1);
  });

  it('also guards delayed writes with the marker (a retry after promotion must not re-add)', async () => {
    const { client } = state;
    const call = { mode: 'delayed' as const, markerTtl: 60_000, dueAt: 1, width: 2, data: ['id-1', 'body'] };
    await send(call);
    await client.del(key('delayed'), key('delayed:bodies')); // as if the promoter moved it

    await expect(send(call)).resolves.toEqual([2]);

    await expect(client.exists(key('delayed'))).resolves.toBe(0);
  });

  it('writes no marker and no dedup key when both are off', async () => {
    const { client } = state;
    await send({ mode: 'stream', width: 12, data: [envelopeFields('id-1', '1')] });

    await expect(client.exists(key('sent:id-1'))).resolves.toBe(0);
  });

  it('trims the stream approximately to MAXLEN', async () => {
    const { client } = state;
    for (let round = 0; round < 5; round++) {
      const data = Array.from({ length: 100 }, (_, index) => envelopeFields(`r${round}-${index}`, '1'));
      await send({ mode: 'stream', trim: 'MAXLEN', trimValue: 10, width: 12, data });
    }

    const length = await client.xlen(key('stream'));
    expect(length).toBeLessThan(500);
    expect(length).toBeGreaterThanOrEqual(10);
  });

  it('trims entries older than the MINID age', async () => {
    const { client } = state;
    // Entries from 1970, enough to fill whole stream nodes (approximate trimming drops whole nodes only)
    const old = client.pipeline();
    for (let ms = 1; ms <= 200; ms++) old.xadd(key('stream'), `${ms}-0`, 'old', '1');
    await old.exec();
    const data = Array.from({ length: 300 }, (_, index) => envelopeFields(`n${index}`, '1'));

    await send({ mode: 'stream', trim: 'MINID', trimValue: 60_000, width: 12, data });

    const [[firstId]] = await client.xrange(key('stream'), '-', '+', 'COUNT', 1);
    expect(firstId).not.toBe('1-0');
    const length = await client.xlen(key('stream'));
    expect(length).toBeLessThan(500);
    expect(length).toBeGreaterThanOrEqual(300);
  });

  it('writes nothing when the server is out of memory (checked before the script runs)', async () => {
    const { client } = state;
    const data = Array.from({ length: 50 }, (_, index) => envelopeFields(`m${index}`, '1'));
    await client.config('SET', 'maxmemory', '1');
    try {
      await expect(send({ mode: 'stream', markerTtl: 60_000, width: 12, data })).rejects.toThrow(/OOM/);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }

    await expect(client.exists(key('stream'), key('sent:id-1'))).resolves.toBe(0);
  });

  it('fails on a key of the wrong type before writing anything else', async () => {
    const { client } = state;
    await client.set(key('stream'), 'not a stream');

    await expect(
      send({
        mode: 'stream',
        markerTtl: 60_000,
        dedupKey: 'k',
        dedupTtl: 60_000,
        width: 12,
        data: [envelopeFields('id-1', '1')],
      }),
    ).rejects.toThrow(/WRONGTYPE/);

    await expect(client.exists(key('sent:id-1'), key('dedup:k'))).resolves.toBe(0);
  });
});
