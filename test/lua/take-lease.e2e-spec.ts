import { useValkey } from '../utils/use-valkey.js';
import { lbsWithGroup, useScripts } from './lua-kit.js';

const TTL = 10_000;

describe('take-lease.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url, lbsWithGroup);

  const take = (
    stream: string,
    mode: 'read' | 'claim' | 'recover',
    entryId = '',
    owner = 'c1',
    minIdle = 0,
  ) =>
    state.client.vqTakeLease(
      state.keys.lbs,
      state.keys.lease(stream),
      state.keys.fence(stream),
      state.keys.assignment(stream),
      state.keys.assignments,
      state.keys.service,
      owner,
      TTL,
      stream,
      mode,
      entryId,
      minIdle,
    );
  /** Appends an assignment and delivers it to `consumer`, as the LBS reader does. */
  const deliver = async (stream: string, info = '{"n":1}', consumer = 'c1'): Promise<string> => {
    const { client, keys } = state;
    const { service } = keys;
    const id = (await client.xadd(keys.lbs, '*', 'stream', stream, 'info', info)) as string;
    await client.xreadgroup('GROUP', service, consumer, 'COUNT', 1, 'STREAMS', keys.lbs, '>');
    return id;
  };
  const pendingOwner = async (id: string): Promise<string | undefined> => {
    const { client, keys } = state;
    const { service } = keys;
    const rows = (await client.xpending(keys.lbs, service, id, id, 1)) as [string, string][];
    return rows[0]?.[1];
  };

  it("'read' takes a delivered entry: token 1, lease, record and index written in one step", async () => {
    const { client, keys } = state;
    const id = await deliver('s1', '{"user":42,"list":[],"big":9007199254740993}');
    const [token, expiresAt, info, entryId] = (await take('s1', 'read', id)) as [
      number,
      number,
      string,
      string,
    ];
    expect([token, info, entryId]).toEqual([1, '{"user":42,"list":[],"big":9007199254740993}', id]);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c1:1');
    expect(await client.pttl(keys.lease('s1'))).toBeGreaterThan(TTL - 2_000);
    await expect(client.get(keys.fence('s1'))).resolves.toBe('1');
    await expect(client.pttl(keys.fence('s1'))).resolves.toBe(-1);
    await expect(client.hgetall(keys.assignment('s1'))).resolves.toEqual({
      entryId: id,
      owner: 'c1',
      token: '1',
      expiresAt: String(expiresAt),
      info: '{"user":42,"list":[],"big":9007199254740993}',
    });
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBe(String(expiresAt));
  });

  it('returns { -1, holder } while a lease is live, changing nothing', async () => {
    const { client, keys } = state;
    const id = await deliver('s1');
    await client.set(keys.lease('s1'), 'other:7', 'PX', TTL);
    await expect(take('s1', 'read', id)).resolves.toEqual([-1, 'other:7']);
    await expect(client.exists(keys.fence('s1'), keys.assignment('s1'))).resolves.toBe(0);
  });

  it("'claim' takes over a lapsed lease with a greater token and moves the LBS entry to the claimer", async () => {
    const { client, keys } = state;
    const id = await deliver('s1');
    await take('s1', 'read', id);
    await client.del(keys.lease('s1')); // lapsed
    const [token, , , entryId] = (await take('s1', 'claim', '', 'c2')) as [number, number, string, string];
    expect([token, entryId]).toEqual([2, id]);
    await expect(client.get(keys.lease('s1'))).resolves.toBe('c2:2');
    await expect(pendingOwner(id)).resolves.toBe('c2');
    await expect(client.hget(keys.assignment('s1'), 'owner')).resolves.toBe('c2');
  });

  it("'claim' returns -1 while the lease is live", async () => {
    const id = await deliver('s1');
    await take('s1', 'read', id);
    await expect(take('s1', 'claim', '', 'c2')).resolves.toEqual([-1, 'c1:1']);
    await expect(pendingOwner(id)).resolves.toBe('c1');
  });

  it("returns -2 for 'claim' of a stream never assigned", async () => {
    const { client, keys } = state;
    await expect(take('nope', 'claim')).resolves.toEqual([-2]);
    await expect(client.exists(keys.fence('nope'))).resolves.toBe(0);
  });

  it('returns -2 and removes a stale record when the LBS entry is gone', async () => {
    const { client, keys } = state;
    const { service } = keys;
    const id = await deliver('s1');
    await take('s1', 'read', id);
    await client.del(keys.lease('s1'));
    await client.xdel(keys.lbs, id);
    await expect(take('s1', 'claim', '', 'c2')).resolves.toEqual([-2]);
    await expect(client.exists(keys.assignment('s1'))).resolves.toBe(0);
    await expect(client.zscore(keys.assignments, 's1')).resolves.toBeNull();
    await expect(client.xpending(keys.lbs, service)).resolves.toEqual([0, null, null, null]);
  });

  it('returns -2 for an acknowledged entry (XCLAIM finds nothing pending) and drops the record', async () => {
    const { client, keys } = state;
    const { service } = keys;
    const id = await deliver('s1');
    await take('s1', 'read', id);
    await client.del(keys.lease('s1'));
    await client.xack(keys.lbs, service, id);
    await expect(take('s1', 'claim')).resolves.toEqual([-2]);
    await expect(client.exists(keys.assignment('s1'))).resolves.toBe(0);
  });

  it('returns -3 for a second assignment of an unfinished stream, acking and deleting the duplicate', async () => {
    const { client, keys } = state;
    const first = await deliver('s1');
    await take('s1', 'read', first);
    const duplicate = await deliver('s1', '{"n":2}');
    await expect(take('s1', 'read', duplicate)).resolves.toEqual([-3]);
    await expect(client.xrange(keys.lbs, duplicate, duplicate)).resolves.toEqual([]);
    await expect(pendingOwner(duplicate)).resolves.toBeUndefined();
    await expect(client.hget(keys.assignment('s1'), 'entryId')).resolves.toBe(first);
  });

  it('lets a new entry replace a stale record whose entry is no longer pending', async () => {
    const { client, keys } = state;
    const { service } = keys;
    const first = await deliver('s1');
    await take('s1', 'read', first);
    await client.del(keys.lease('s1'));
    await client.xack(keys.lbs, service, first); // e.g. acknowledged by hand
    const second = await deliver('s1', '{"n":2}');
    const [token, , info, entryId] = (await take('s1', 'read', second)) as [number, number, string, string];
    expect([token, info, entryId]).toEqual([2, '{"n":2}', second]);
  });

  it("'recover' returns -4 for an entry idle less than the minimum, then takes it once idle", async () => {
    const id = await deliver('s1', '{"n":1}', 'dead-consumer'); // delivered, never taken
    await expect(take('s1', 'recover', id, 'c2', 60_000)).resolves.toEqual([-4]);
    await expect(pendingOwner(id)).resolves.toBe('dead-consumer');
    const [token, , , entryId] = (await take('s1', 'recover', id, 'c2', 0)) as [
      number,
      number,
      string,
      string,
    ];
    expect([token, entryId]).toEqual([1, id]);
    await expect(pendingOwner(id)).resolves.toBe('c2');
  });

  it("'recover' returns -4 while the lease lapsed less than the minimum ago", async () => {
    const { client, keys } = state;
    const id = await deliver('s1');
    await take('s1', 'read', id);
    await client.del(keys.lease('s1')); // record expiresAt is still in the future
    await expect(take('s1', 'recover', id, 'c2', 1)).resolves.toEqual([-4]);
    await client.hset(keys.assignment('s1'), 'expiresAt', 0);
    await expect(take('s1', 'recover', id, 'c2', 1)).resolves.toEqual(expect.arrayContaining([2, id]));
  });

  it("'recover' returns -2 for a pending entry that was deleted, and acknowledges it", async () => {
    const { client, keys } = state;
    const id = await deliver('s1', '{}', 'dead-consumer');
    await client.xdel(keys.lbs, id);
    await expect(take('s1', 'recover', id, 'c2', 0)).resolves.toEqual([-2]);
    await expect(pendingOwner(id)).resolves.toBeUndefined();
  });

  it('issues strictly increasing tokens across owners', async () => {
    const { client, keys } = state;
    const id = await deliver('s1');
    const tokens = [((await take('s1', 'read', id)) as number[])[0]];
    for (const owner of ['c2', 'c3', 'c1']) {
      await client.del(keys.lease('s1'));
      tokens.push(((await take('s1', 'claim', '', owner)) as number[])[0]);
    }
    expect(tokens).toEqual([1, 2, 3, 4]);
  });
});
