import { useValkey } from '../utils/use-valkey.js';
import { orderedKeysOf } from '../ordering/ordering-kit.js';
import { keysOf, uniqueQueue } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

/** A body in the stored format: `<byte length>:<value>` per field. */
const body = (...fields: string[]): string =>
  fields.map((field) => `${Buffer.byteLength(field)}:${field}`).join('');
const envelope = (id: string, payload: string) =>
  body('v', '1', 'id', id, 'payload', payload, 'headers', '{}', 'createdAt', '1', 'attempt', '1');

describe('ordering scripts (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    () => {
      const queue = uniqueQueue('ordered');
      return { ...keysOf(queue), ordered: orderedKeysOf(queue) };
    },
  );

  /** ordered-send.lua with a send of (key, body) pairs, due `delay` ms from now ('' = now). */
  const sendAfter = (delay: number | '', ...pairs: string[]) => {
    const { ordered, sent } = state.keys;
    return state.client.vqOrderedSend(
      ordered.ready,
      ordered.holders,
      ordered.parked,
      sent('m'),
      sent('m'),
      ordered.listPrefix,
      0,
      0,
      'm',
      '',
      '',
      '',
      delay,
      2,
      0,
      ...pairs,
    );
  };
  const send = (...pairs: string[]) => sendAfter('', ...pairs);
  const take = (max = 10, leaseMs = 10_000, run?: number) => {
    const { ready, leases, holders, takes, fence, listPrefix } = state.keys.ordered;
    if (run === undefined)
      return state.client.vqOrderedTake(ready, leases, holders, takes, fence, listPrefix, leaseMs, max);
    return state.client.vqOrderedTake(ready, leases, holders, takes, fence, listPrefix, leaseMs, max, run);
  };
  /** ordered-ack.lua with (key, token, continue) triples; resolves [statuses, continued keys]. */
  const ackThen = (leaseMs: number, ...triples: string[]) => {
    const { ready, leases, holders, takes, fence, listPrefix } = state.keys.ordered;
    return state.client.vqOrderedAck(
      ready,
      leases,
      holders,
      takes,
      state.keys.stats,
      fence,
      listPrefix,
      'processed',
      leaseMs,
      ...triples,
    );
  };
  /** ordered-ack.lua with (key, token) pairs, none continued; resolves the statuses. */
  const ack = async (...pairs: string[]) => {
    const triples = pairs.flatMap((value, index) => (index % 2 === 1 ? [value, '0'] : [value]));
    const [statuses, continued] = await ackThen(10_000, ...triples);
    expect(continued).toEqual([]);
    return statuses;
  };

  it('send readies a key only when it had nothing waiting and is neither leased nor parked; take leases the head with a new token', async () => {
    const { client, keys } = state;
    await expect(
      send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'), 'b', envelope('3', '"b1"')),
    ).resolves.toEqual([0, 3, -1]);
    await expect(client.zrange(keys.ordered.ready, '0', '-1')).resolves.toEqual(['a', 'b']);
    await expect(client.llen(keys.ordered.list('a'))).resolves.toBe(2);
    const reply = await take(1);
    expect(reply.slice(0, 2)).toEqual([-1, 0]);
    const [key, token, deliveries, head] = reply.slice(2) as [string, string, number, string];
    expect([key, token, deliveries, head]).toEqual(['a', '1', 1, envelope('1', '"a1"')]);
    await expect(client.hget(keys.ordered.holders, 'a')).resolves.toBe('1');
    // While a is leased, a new message for it waits behind the lease, not in the ready set.
    await send('a', envelope('4', '"a3"'));
    await expect(client.zrange(keys.ordered.ready, '0', '-1')).resolves.toEqual(['b']);
    // The next take gets b (a is leased), with a strictly greater token.
    expect((await take(10)).slice(2, 4)).toEqual(['b', '2']);
  });

  it('ack pops the head and readies the key for its next message; the last ack leaves nothing behind', async () => {
    const { client, keys } = state;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'));
    const [, , , token] = await take(1);
    await expect(ack('a', String(token))).resolves.toEqual([1]);
    await expect(client.lrange(keys.ordered.list('a'), 0, -1)).resolves.toHaveLength(1);
    await expect(client.zrange(keys.ordered.ready, '0', '-1')).resolves.toEqual(['a']);
    const [, , , second] = await take(1);
    await expect(ack('a', String(second))).resolves.toEqual([1]);
    const { ready, leases, holders, takes, list } = keys.ordered;
    await expect(client.exists(ready, leases, holders, takes, list('a'))).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('2');
  });

  it('fencing: after a lease expires, the next take reclaims the key with a new token and the old holder can no longer ack, retry, dead-letter or renew', async () => {
    const { client, keys } = state;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'));
    const [, , , stale] = await take(1, 1); // a 1 ms lease
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reclaim = await take(1);
    expect(reclaim.slice(0, 2)).toEqual([-1, 1]);
    const [key, fresh, deliveries] = reclaim.slice(2);
    expect([key, deliveries]).toEqual(['a', 2]); // the same head, its second delivery
    expect(Number(fresh)).toBeGreaterThan(Number(stale));
    const { ready, leases, holders, takes, listPrefix, parked } = keys.ordered;
    await expect(ack('a', String(stale))).resolves.toEqual([0]);
    await expect(
      client.vqOrderedRetry(
        ready,
        leases,
        holders,
        takes,
        keys.stats,
        listPrefix,
        'a',
        String(stale),
        10,
        2,
        1,
      ),
    ).resolves.toEqual([0]);
    await expect(
      client.vqOrderedDead(
        ready,
        leases,
        holders,
        takes,
        keys.dead,
        keys.stats,
        parked,
        listPrefix,
        100,
        '0',
        'a',
        String(stale),
        'dead',
        'boom',
        1,
        '1',
        '',
      ),
    ).resolves.toEqual([0]);
    await expect(client.vqOrderedRenew(leases, holders, 10_000, 'a', String(stale))).resolves.toEqual([
      String(stale),
    ]);
    await expect(
      client.vqOrderedHandBack(ready, leases, holders, takes, listPrefix, '1', 'a', String(stale)),
    ).resolves.toEqual([0]);
    // Nothing moved: both messages are still there and the fresh holder still holds the key.
    await expect(client.llen(keys.ordered.list('a'))).resolves.toBe(2);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(client.hget(holders, 'a')).resolves.toBe(String(fresh));
    await expect(client.vqOrderedRenew(leases, holders, 10_000, 'a', String(fresh))).resolves.toEqual([]);
    await expect(ack('a', String(fresh))).resolves.toEqual([1]);
  });

  it('retry rewrites the head in place (next attempt, stored bytes kept) and readies the key after the delay', async () => {
    const { client, keys } = state;
    const payload = '"\u00e9\u0000\ud83d\ude00"';
    await send('a', envelope('1', payload), 'a', envelope('2', '"a2"'));
    const [, , , token] = await take(1);
    const { ready, leases, holders, takes, listPrefix } = keys.ordered;
    await expect(
      client.vqOrderedRetry(
        ready,
        leases,
        holders,
        takes,
        keys.stats,
        listPrefix,
        'a',
        String(token),
        60_000,
        2,
        1,
      ),
    ).resolves.toEqual([1]);
    const [head] = await client.lrange(keys.ordered.list('a'), 0, 0);
    expect(head.slice(head.indexOf(';') + 1)).toBe(
      body(
        'v',
        '1',
        'id',
        '1',
        'payload',
        payload,
        'headers',
        '{}',
        'createdAt',
        '1',
        'attempt',
        '2',
        'firstAttempt',
        '1',
      ),
    );
    // Not due for a minute: nothing to take, and the take says when to look again.
    const reply = await take(10);
    expect(reply).toHaveLength(2);
    expect(Number(reply[0])).toBeGreaterThan(Date.now() + 50_000);
    await expect(client.hexists(holders, 'a')).resolves.toBe(0);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ failed: '1', retried: '1' });
  });

  it("dead: the head goes to the dead-letter stream; 'continue' readies the next, 'park' holds the key until ordered-release.lua", async () => {
    const { client, keys } = state;
    const { ready, leases, holders, takes, listPrefix, parked } = keys.ordered;
    const dead = (park: '0' | '1', key: string, token: string) =>
      client.vqOrderedDead(
        ready,
        leases,
        holders,
        takes,
        keys.dead,
        keys.stats,
        parked,
        listPrefix,
        100,
        park,
        key,
        token,
        'dead',
        'boom',
        3,
        '1',
        '',
      );
    await send(
      'a',
      envelope('1', '"a1"'),
      'a',
      envelope('2', '"a2"'),
      'b',
      envelope('3', '"b1"'),
      'b',
      envelope('4', '"b2"'),
    );
    const reply = await take(2);
    const tokens = new Map([
      [reply[2], String(reply[3])],
      [reply[6], String(reply[7])],
    ]);
    await expect(dead('0', 'a', tokens.get('a')!)).resolves.toEqual([1]);
    await expect(dead('1', 'b', tokens.get('b')!)).resolves.toEqual([1]);
    const letters = await client.xrange(keys.dead, '-', '+');
    expect(letters.map(([, fields]) => fields[fields.indexOf('sourceId') + 1])).toEqual(['a', 'b']);
    expect(letters[0][1]).toEqual(
      expect.arrayContaining(['payload', '"a1"', 'reason', 'dead', 'attempts', '3']),
    );
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a']);
    await expect(client.hkeys(parked)).resolves.toEqual(['b']);
    // A parked key takes new messages but does not run them.
    await send('b', envelope('5', '"b3"'));
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a']);
    await expect(client.vqOrderedRelease(ready, holders, parked, listPrefix, 'a')).resolves.toBe(0);
    await expect(client.vqOrderedRelease(ready, holders, parked, listPrefix, 'b')).resolves.toBe(1);
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a', 'b']);
    await expect(client.lrange(keys.ordered.list('b'), 0, -1)).resolves.toHaveLength(2);
    await expect(client.hgetall(keys.stats)).resolves.toEqual({ dead: '2', failed: '2' });
  });

  it('hand-back ends the lease and readies the key at once, its head unchanged; it counts the delivery only when the handler ran', async () => {
    const { client, keys } = state;
    const { ready, leases, holders, takes, listPrefix } = keys.ordered;
    await send('a', envelope('1', '"a1"'));
    const [, , , token] = await take(1);
    await expect(
      client.vqOrderedHandBack(ready, leases, holders, takes, listPrefix, '1', 'a', String(token)),
    ).resolves.toEqual([1]);
    await expect(client.exists(leases, holders)).resolves.toBe(0);
    const again = await take(1);
    expect(again.slice(2, 3)).toEqual(['a']);
    expect(again[4]).toBe(2); // the delivery counted
    await expect(
      client.vqOrderedHandBack(ready, leases, holders, takes, listPrefix, '0', 'a', String(again[3])),
    ).resolves.toEqual([1]);
    expect((await take(1))[4]).toBe(2); // a head that never ran is not counted
  });

  it('take counts no delivery: only a reclaimed lease does', async () => {
    const { client, keys } = state;
    await send('a', envelope('1', '"a1"'), 'b', envelope('2', '"b1"'));
    const taken = await take(10);
    expect([taken[4], taken[8]]).toEqual([1, 1]);
    await expect(client.exists(keys.ordered.takes)).resolves.toBe(0);
  });

  it('ack with continue keeps the lease and returns the next message under a new token; a stale token cannot pop it', async () => {
    const { client, keys } = state;
    const { ready, leases, holders, takes, fence, list } = keys.ordered;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'), 'b', envelope('3', '"b1"'));
    const taken = await take(10);
    const [tokenA, tokenB] = [String(taken[3]), String(taken[7])];
    const before = Number(await client.zscore(leases, 'a'));
    // a goes on with a2; b has no next message: nothing is left of it.
    const [statuses, continued] = await ackThen(60_000, 'a', tokenA, '1', 'b', tokenB, '1');
    expect(statuses).toEqual([1, 1]);
    expect(continued).toEqual(['a', '3', envelope('2', '"a2"')]);
    await expect(client.get(fence)).resolves.toBe('3');
    await expect(client.hgetall(holders)).resolves.toEqual({ a: '3' });
    expect(Number(await client.zscore(leases, 'a'))).toBeGreaterThan(before);
    await expect(client.zrange(leases, '0', '-1')).resolves.toEqual(['a']);
    await expect(client.exists(ready, takes, list('b'))).resolves.toBe(0);
    await expect(client.lrange(list('a'), 0, -1)).resolves.toEqual([expect.stringMatching(/;/)]);
    // The old token (a retried write of the first ack) is refused: a2 is not popped.
    await expect(ackThen(60_000, 'a', tokenA, '1')).resolves.toEqual([[0], []]);
    await expect(client.llen(list('a'))).resolves.toBe(1);
    await expect(ackThen(60_000, 'a', '3', '1')).resolves.toEqual([[1], []]);
    await expect(client.exists(ready, leases, holders, takes, list('a'))).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('3');
  });

  it('take hands over a run: the due messages of a key in order under consecutive tokens, up to the run length, before one not due', async () => {
    const { client, keys } = state;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'), 'a', envelope('3', '"a3"'));
    await send('b', envelope('4', '"b1"'));
    await sendAfter(60_000, 'b', envelope('5', '"b2"'));
    await send('b', envelope('6', '"b3"'));
    const reply = await take(10, 10_000, 2);
    expect(reply.slice(2)).toEqual([
      'a', '1', 1, envelope('1', '"a1"'),
      'a', '2', 0, envelope('2', '"a2"'),
      'b', '3', 1, envelope('4', '"b1"'),
    ]); // prettier-ignore
    // The lease is held under the token of the message that runs first; nothing is popped.
    await expect(client.hgetall(keys.ordered.holders)).resolves.toEqual({ a: '1', b: '3' });
    await expect(client.get(keys.ordered.fence)).resolves.toBe('3');
    await expect(client.llen(keys.ordered.list('a'))).resolves.toBe(3);
  });

  it("ack 'k' pops the head and keeps the lease under the next token: a repeated or early ack of the run pops nothing, and the run's last ack ends the lease", async () => {
    const { client, keys } = state;
    const { ready, leases, holders, takes, list } = keys.ordered;
    await send(
      'a',
      envelope('1', '"a1"'),
      'a',
      envelope('2', '"a2"'),
      'a',
      envelope('3', '"a3"'),
      'a',
      envelope('4', '"a4"'),
    );
    const reply = await take(10, 10_000, 3);
    expect(reply.filter((_, index) => index % 4 === 3)).toEqual(['1', '2', '3']);
    const expiry = await client.zscore(leases, 'a');
    await expect(ackThen(10_000, 'a', '1', 'k')).resolves.toEqual([[1], []]);
    await expect(client.hget(holders, 'a')).resolves.toBe('2');
    await expect(client.zscore(leases, 'a')).resolves.toBe(expiry);
    // A retried write of that ack, and an ack of the third message before the second's: refused.
    await expect(ackThen(10_000, 'a', '1', 'k')).resolves.toEqual([[0], []]);
    await expect(ackThen(10_000, 'a', '3', 'k')).resolves.toEqual([[0], []]);
    await expect(client.lrange(list('a'), 0, 0)).resolves.toEqual([
      expect.stringContaining(envelope('2', '"a2"')),
    ]);
    // The second and third acks in one call; the third ends the lease: a4 waits in the ready set.
    await expect(ackThen(10_000, 'a', '2', 'k', 'a', '3', '0')).resolves.toEqual([[1, 1], []]);
    await expect(client.exists(leases, holders, takes)).resolves.toBe(0);
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a']);
    await expect(client.lrange(list('a'), 0, -1)).resolves.toEqual([
      expect.stringContaining(envelope('4', '"a4"')),
    ]);
    await expect(client.hget(keys.stats, 'processed')).resolves.toBe('3');
  });

  it('ack continuing with a run of n returns the next n due messages under consecutive new tokens', async () => {
    const { client, keys } = state;
    await send(
      'a',
      envelope('1', '"a1"'),
      'a',
      envelope('2', '"a2"'),
      'a',
      envelope('3', '"a3"'),
      'a',
      envelope('4', '"a4"'),
    );
    const [, , , token] = await take(1);
    const [statuses, continued] = await ackThen(10_000, 'a', String(token), '2');
    expect(statuses).toEqual([1]);
    expect(continued).toEqual(['a', '2', envelope('2', '"a2"'), 'a', '3', envelope('3', '"a3"')]);
    await expect(client.hget(keys.ordered.holders, 'a')).resolves.toBe('2');
    await expect(ackThen(10_000, 'a', '2', 'k', 'a', '3', '5')).resolves.toEqual([
      [1, 1],
      ['a', '4', envelope('4', '"a4"')],
    ]);
  });

  it('ack continues neither a key the caller does not continue nor one whose next message is not due', async () => {
    const { client, keys } = state;
    const { ready, leases, holders } = keys.ordered;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'), 'b', envelope('3', '"b1"'));
    await sendAfter(60_000, 'b', envelope('4', '"b2"'));
    const taken = await take(10);
    const [statuses, continued] = await ackThen(
      60_000,
      'a',
      String(taken[3]),
      '0',
      'b',
      String(taken[7]),
      '1',
    );
    expect([statuses, continued]).toEqual([[1, 1], []]);
    await expect(client.exists(leases, holders)).resolves.toBe(0);
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a', 'b']);
    expect(Number(await client.zscore(ready, 'b'))).toBeGreaterThan(Date.now() + 50_000);
  });

  it('a continued key reclaimed after its lease expired runs its head again, counted as a second delivery', async () => {
    const { client, keys } = state;
    await send('a', envelope('1', '"a1"'), 'a', envelope('2', '"a2"'));
    const [, , , token] = await take(1);
    const [, continued] = await ackThen(1, 'a', String(token), '1'); // a 1 ms lease
    expect(continued.slice(0, 1)).toEqual(['a']);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reclaim = await take(1);
    expect(reclaim.slice(0, 3)).toEqual([-1, 1, 'a']);
    expect(reclaim.slice(4)).toEqual([2, envelope('2', '"a2"')]);
    await expect(ackThen(60_000, 'a', String(continued[1]), '1')).resolves.toEqual([[0], []]);
    await expect(client.llen(keys.ordered.list('a'))).resolves.toBe(1);
  });

  it('a delayed send readies its key at the due time and says so', async () => {
    const { client, keys } = state;
    const { ordered } = keys;
    const reply = await sendAfter(60_000, 'a', envelope('1', '"a1"'));
    expect(reply[0]).toBe(0);
    expect(Number(reply[2])).toBeGreaterThan(Date.now() + 50_000);
    await expect(client.zscore(ordered.ready, 'a')).resolves.toBe(String(reply[2]));
    expect(await take(1)).toHaveLength(2);
  });

  it('send checks the marker on a first attempt too: one resent as it was after a reconnect appends nothing', async () => {
    const { client, keys } = state;
    const { ordered, sent } = keys;
    const firstAttempt = () =>
      client.vqOrderedSend(
        ...[ordered.ready, ordered.holders, ordered.parked, sent('m'), sent('m'), ordered.listPrefix],
        ...[60_000, 0, 'm', '', '', '', '', 2, 0],
        ...['a', envelope('1', '"a1"')],
      );

    await expect(firstAttempt()).resolves.toEqual([0, 1, -1]);
    // ioredis resends a command left unanswered by a dropped connection, first-attempt flag and all.
    await expect(firstAttempt()).resolves.toEqual([2]);

    await expect(client.llen(ordered.list('a'))).resolves.toBe(1);
  });

  it("fire-ordered-schedule appends the tick messages behind the key's messages once per planned tick, and readies only an idle key", async () => {
    const { client, keys } = state;
    const { ready, holders, parked, listPrefix, list } = keys.ordered;
    const schedules = `${keys.tag}:schedules`;
    const scheduleOf = (name: string) => `${keys.tag}:schedule:${name}`;
    const fire = (name: string, due: number, next: number, key: string, ...bodies: string[]) =>
      client.vqFireOrderedSchedule(
        schedules,
        scheduleOf(name),
        ready,
        holders,
        parked,
        name,
        due,
        next,
        due,
        listPrefix,
        key,
        ...bodies,
      );
    await client.zadd(schedules, 1_000, 'daily', 2_000, 'busy');
    // Another instance fired it already (the score moved on): nothing is appended.
    await expect(fire('daily', 999, 2_000, 'a', envelope('t0', '"tick"'))).resolves.toBe(0);
    await expect(client.exists(list('a'), ready)).resolves.toBe(0);
    await expect(
      fire('daily', 1_000, 2_000, 'a', envelope('t1', '"tick"'), envelope('t2', '"tick"')),
    ).resolves.toBe(2);
    await expect(client.zrange(ready, '0', '-1')).resolves.toEqual(['a']);
    expect((await client.lrange(list('a'), 0, -1)).map((element) => element.split(';')[1])).toEqual([
      envelope('t1', '"tick"'),
      envelope('t2', '"tick"'),
    ]);
    await expect(client.hmget(scheduleOf('daily'), 'runs', 'lastRunAt')).resolves.toEqual(['2', '1000']);
    await expect(client.zscore(schedules, 'daily')).resolves.toBe('2000');
    // A leased key gets the tick behind its head and is not readied (its holder's ack does that).
    await send('b', envelope('1', '"b1"'));
    await take(10); // leases a and b
    await expect(fire('busy', 2_000, -1, 'b', envelope('t3', '"tick"'))).resolves.toBe(1);
    await expect(client.exists(ready)).resolves.toBe(0);
    await expect(client.llen(list('b'))).resolves.toBe(2);
    await expect(client.zscore(schedules, 'busy')).resolves.toBeNull(); // ended
  });
});
