import { randomUUID } from 'node:crypto';
import {
  InvalidAssignmentInfoError,
  InvalidStreamNameError,
  LeaseLostError,
  OwnershipConflictError,
  OwnershipNotConfiguredError,
  StreamAlreadyOwnedError,
  StreamNotAssignedError,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import { concatMap } from 'rxjs';
import { onEveryServer, rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  FAST,
  ownKeys,
  startInstance,
  uniqueService,
  waitUntil,
  type Instance,
} from './ownership-test-kit.js';

describe('StreamOwnershipService (real Valkey)', () => {
  const valkey = useValkey();
  const instances: Instance[] = [];
  let raw: ValkeyClient;
  let service: string;
  let keys: ReturnType<typeof ownKeys>;

  const start = async (overrides: Record<string, unknown> = {}): Promise<Instance> => {
    const instance = await startInstance(valkey().url, { service, ...FAST, ...overrides });
    instances.push(instance);
    return instance;
  };
  const pending = async (): Promise<number> => Number((await raw.xpending(keys.lbs, service))[0]);

  beforeAll(() => {
    raw = rawClient(valkey().url);
  });
  afterAll(() => raw.disconnect());
  beforeEach(() => {
    service = uniqueService();
    keys = ownKeys(service);
  });
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((instance) => instance.close()));
  });

  it('without the ownership option, every method rejects with OwnershipNotConfiguredError', async () => {
    const instance = await startInstance(valkey().url, undefined);
    instances.push(instance);
    const { service: ownership } = instance;
    await expect(ownership.assign('s')).rejects.toThrow(OwnershipNotConfiguredError);
    await expect(ownership.claim('s')).rejects.toThrow(OwnershipNotConfiguredError);
    await expect(ownership.release('s')).rejects.toThrow(OwnershipNotConfiguredError);
    await expect(ownership.releaseAll()).rejects.toThrow(/forRoot\(\{ ownership: \{ service \} \}\)/);
    expect(ownership.owned()).toEqual([]);
    expect(() => instance.fence.keys('s')).toThrow(OwnershipNotConfiguredError);
  });

  it("assign -> 'added' (info, lease with token) after the lease is held; heartbeats keep it past the TTL", async () => {
    const a = await start();
    // A subscriber that takes far longer than the TTL per event: events queue up, heartbeats go on.
    const slow = a.service.events$
      .pipe(concatMap(() => new Promise((resolve) => setTimeout(resolve, 2 * FAST.leaseTtl!))))
      .subscribe();
    await a.service.assign('session:1', { user: 42, tags: [], big: 9007199254740993n.toString() });
    const added = await a.log.next('added');
    expect(added).toMatchObject({
      stream: 'session:1',
      info: { user: 42, tags: [], big: '9007199254740993' },
    });
    expect(added.lease).toMatchObject({ stream: 'session:1', owner: a.service.consumerId, token: 1 });
    expect(added.lease.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(added.lease.signal.aborted).toBe(false);
    expect(a.service.owned()).toEqual(['session:1']);
    await expect(raw.get(keys.lease('session:1'))).resolves.toBe(`${a.service.consumerId}:1`);

    // Each renewal moves the recorded expiry (server clock) forward.
    const firstExpiry = Number(await raw.hget(keys.assignment('session:1'), 'expiresAt'));
    await waitUntil(
      async () => Number(await raw.hget(keys.assignment('session:1'), 'expiresAt')) > firstExpiry,
      'a heartbeat',
      5_000,
    );
    // Well past one TTL, the lease is still ours and alive.
    await new Promise((resolve) => setTimeout(resolve, FAST.leaseTtl! + 500));
    expect(a.service.owned()).toEqual(['session:1']);
    await expect(raw.get(keys.lease('session:1'))).resolves.toBe(`${a.service.consumerId}:1`);
    expect(a.log.of('disowned')).toEqual([]);
    slow.unsubscribe();
  });

  it('delivers assignments made before any instance started (group created at 0)', async () => {
    await raw.xadd(keys.lbs, '*', 'stream', 'early', 'info', '{"n":1}');
    const a = await start();
    await expect(a.log.next('added')).resolves.toMatchObject({ stream: 'early', info: { n: 1 } });
  });

  it('release completes the stream: lease and LBS entry gone, signal aborted; a second release rejects', async () => {
    const a = await start();
    await a.service.assign('s1');
    const { lease } = await a.log.next('added');
    await a.service.release('s1');
    expect(lease.signal.aborted).toBe(true);
    expect(a.service.owned()).toEqual([]);
    await expect(raw.exists(keys.lease('s1'), keys.assignment('s1'))).resolves.toBe(0);
    await expect(raw.xlen(keys.lbs)).resolves.toBe(0);
    await expect(pending()).resolves.toBe(0);
    await expect(a.service.release('s1')).rejects.toThrow(LeaseLostError);
    expect(a.log.of('disowned')).toEqual([]);
  });

  it('release of a lease taken by someone else rejects with LeaseLostError and acknowledges nothing', async () => {
    const a = await start();
    await a.service.assign('s1');
    await a.log.next('added');
    await raw.set(keys.lease('s1'), 'intruder:99', 'PX', 10_000);
    await expect(a.service.release('s1')).rejects.toThrow(LeaseLostError);
    await expect(pending()).resolves.toBe(1);
    await expect(a.log.next('disowned')).resolves.toEqual({ type: 'disowned', stream: 's1', token: 1 });
  });

  it('claim rejects with OwnershipConflictError while the lease is live, and StreamNotAssignedError for unknown streams', async () => {
    const a = await start();
    const b = await start();
    await a.service.assign('s1');
    await waitUntil(() => a.service.owned().length + b.service.owned().length === 1, 'the assignment');
    const other = a.service.owned().length ? b : a;
    const error = await other.service.claim('s1').catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(OwnershipConflictError);
    expect(error).toBeInstanceOf(StreamAlreadyOwnedError);
    expect(error).toMatchObject({ code: 'VQ_OWNERSHIP_CONFLICT', stream: 's1' });
    await expect(other.service.claim('never-assigned')).rejects.toThrow(StreamNotAssignedError);
  });

  it('10 concurrent claims of one lapsed stream over 3 instances: exactly one wins with a greater token', async () => {
    const all = [await start(), await start(), await start()];
    await all[0].service.assign('contested');
    await waitUntil(() => all.some((instance) => instance.service.owned().length === 1), 'the assignment');
    await raw.del(keys.lease('contested')); // the lease lapses (as after a crash)
    const claims = Array.from({ length: 10 }, (_, index) => all[index % 3].service.claim('contested'));
    const results = await Promise.allSettled(claims);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ value: { stream: 'contested', token: 2 } });
    expect(lost).toHaveLength(9);
    for (const { reason } of lost) expect(reason).toBeInstanceOf(OwnershipConflictError);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const a = await start();
    await expect(a.service.assign('')).rejects.toThrow(InvalidStreamNameError);
    await expect(a.service.assign('a\u0000b')).rejects.toThrow(InvalidStreamNameError);
    await expect(a.service.assign('s', { n: 1n } as never)).rejects.toThrow(InvalidAssignmentInfoError);
    await expect(a.service.assign('s', [] as never)).rejects.toThrow(InvalidAssignmentInfoError);
    await expect(a.service.claim(42 as never)).rejects.toThrow(InvalidStreamNameError);
    await expect(raw.xlen(keys.lbs)).resolves.toBe(0);
  });

  it('moves malformed LBS entries to the LBS dead-letter stream and keeps reading', async () => {
    const a = await start();
    await raw.xadd(keys.lbs, '*', 'nostream', 'x');
    await raw.xadd(keys.lbs, '*', 'stream', 's', 'info', 'not json');
    await a.service.assign('good');
    await expect(a.log.next('added')).resolves.toMatchObject({ stream: 'good' });
    await waitUntil(async () => (await raw.xlen(keys.lbsDead)) === 2, 'two dead-lettered entries');
    const reasons = (await raw.xrange(keys.lbsDead, '-', '+')).map(
      ([, fields]) => fields[fields.indexOf('reason') + 1],
    );
    expect(reasons).toEqual(['the entry has no stream field', 'info is not valid JSON']);
    await expect(pending()).resolves.toBe(1); // only the good one, held
  });

  it('a second assign of an unfinished stream is a no-op; after release it starts a new lifecycle', async () => {
    const a = await start();
    await a.service.assign('s1', { round: 1 });
    await a.log.next('added');
    await a.service.assign('s1', { round: 2 });
    await waitUntil(async () => (await raw.xlen(keys.lbs)) === 1, 'the duplicate to be dropped');
    expect(a.log.of('added')).toHaveLength(1);
    await a.service.release('s1');
    await a.service.assign('s1', { round: 3 });
    await expect(a.log.next('added', (event) => event.info.round === 3)).resolves.toMatchObject({
      lease: { token: 2 },
    });
  });

  it("'disowned' once when a heartbeat finds the lease taken; the stream leaves owned() and the signal aborts", async () => {
    const a = await start();
    await a.service.assign('s1');
    const { lease } = await a.log.next('added');
    await raw.set(keys.lease('s1'), 'intruder:7', 'PX', 10_000);
    await expect(a.log.next('disowned')).resolves.toEqual({ type: 'disowned', stream: 's1', token: 1 });
    expect(a.service.owned()).toEqual([]);
    expect(lease.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 2 * FAST.heartbeatInterval!));
    expect(a.log.of('disowned')).toHaveLength(1);
    await expect(raw.get(keys.lease('s1'))).resolves.toBe('intruder:7'); // never touched
  });

  it("'disowned' by the local deadline while the server does not answer, then handed back", async () => {
    const a = await start();
    const b = await start();
    await a.service.assign('s1');
    await waitUntil(() => a.service.owned().length + b.service.owned().length === 1, 'the assignment');
    const [holder, other] = a.service.owned().length ? [a, b] : [b, a];
    const pausedAt = Date.now();
    // Nothing is answered (or expires) for 5 s; on the cluster run, by any primary.
    await onEveryServer(raw, (server) => server.call('CLIENT', 'PAUSE', 5_000, 'ALL'));
    const disowned = await holder.log.next('disowned', () => true, 10_000);
    expect(Date.now() - pausedAt).toBeLessThan(5_000); // before the server said anything
    expect(disowned).toEqual({ type: 'disowned', stream: 's1', token: 1 });
    expect(holder.service.owned()).toEqual([]);
    // Once the server answers again, the hand-back tells the others at once.
    await expect(other.log.next('expired', () => true, 10_000)).resolves.toMatchObject({ stream: 's1' });
  });

  it("shutdown hands every stream back: LBS entries stay pending, others get 'expired' at once and claim", async () => {
    const a = await start();
    await a.service.assign('s1', { k: 'v' });
    await a.service.assign('s2');
    await waitUntil(() => a.service.owned().length === 2, 'two streams');
    const b = await start();
    const closedAt = Date.now();
    await a.close();
    expect(a.log.of('terminated')).toEqual([{ type: 'terminated', reason: 'shutdown' }]);
    expect(a.log.completed).toBe(true);
    await expect(pending()).resolves.toBe(2); // not acknowledged: unfinished work is never marked done
    const expired = await b.log.next('expired', (event) => event.stream === 's1');
    expect(expired).toEqual({ type: 'expired', stream: 's1', info: { k: 'v' }, lastToken: 1 });
    expect(Date.now() - closedAt).toBeLessThan(FAST.leaseTtl!); // handed back, not lapsed
    await expect(b.service.claim('s1')).resolves.toMatchObject({ token: 2, owner: b.service.consumerId });
  });

  it('releaseAll completes every stream we own; the service keeps taking new ones', async () => {
    const a = await start();
    for (const stream of ['a', 'b', 'c']) await a.service.assign(stream);
    await waitUntil(() => a.service.owned().length === 3, 'three streams');
    await a.service.releaseAll();
    expect(a.service.owned()).toEqual([]);
    await expect(raw.xlen(keys.lbs)).resolves.toBe(0);
    await a.service.assign('d');
    await expect(a.log.next('added', (event) => event.stream === 'd')).resolves.toBeDefined();
    expect(a.log.of('terminated')).toEqual([]);
  });

  it('fencing: a write with the current token passes, the previous owner’s token is refused', async () => {
    const a = await start();
    const b = await start();
    const log = `${keys.tag}:log:${randomUUID()}`;
    await a.service.assign('s1');
    await waitUntil(() => a.service.owned().length + b.service.owned().length === 1, 'the assignment');
    const [first, second] = a.service.owned().length ? [a, b] : [b, a];
    const old = (await first.log.next('added')).lease;
    await expect(first.fence.write('s1', old.token, 'RPUSH', [log], ['first'])).resolves.toBe(1);
    await raw.del(keys.lease('s1'));
    const lease = await second.service.claim('s1');
    await expect(second.fence.check('s1', lease.token)).resolves.toBeUndefined();
    await expect(first.fence.write('s1', old.token, 'RPUSH', [log], ['stale'])).rejects.toMatchObject({
      code: 'VQ_STALE_TOKEN',
      reason: 'superseded',
    });
    await expect(second.fence.write('s1', lease.token, 'RPUSH', [log], ['second'])).resolves.toBe(2);
    await expect(raw.lrange(log, 0, -1)).resolves.toEqual(['first', 'second']);
  });

  it('recovery reassigns an entry delivered to a consumer that died before taking it, never a live one', async () => {
    await raw.xgroup('CREATE', keys.lbs, service, '0', 'MKSTREAM');
    await raw.xadd(keys.lbs, '*', 'stream', 'orphan', 'info', '{}');
    await raw.xreadgroup('GROUP', service, 'ghost', 'STREAMS', keys.lbs, '>'); // the ghost never took it
    const a = await start({ recoveryIdle: 1_000 });
    await expect(a.log.next('added', (event) => event.stream === 'orphan')).resolves.toMatchObject({
      lease: { token: 1 },
    });
    await a.service.assign('live');
    await a.log.next('added', (event) => event.stream === 'live');
    const b = await start({ recoveryIdle: 1_000 });
    // Both entries are idle far beyond recoveryIdle; recovery must still leave the live leases alone.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(b.log.of('added')).toEqual([]);
    expect(a.service.owned().sort()).toEqual(['live', 'orphan']);
    await expect(raw.get(keys.fence('orphan'))).resolves.toBe('1');
  });

  it('terminates once on an unrecoverable misconfiguration (the LBS key is not a stream)', async () => {
    await raw.set(keys.lbs, 'someone else’s string');
    const a = await start();
    await expect(a.log.next('terminated')).resolves.toMatchObject({
      reason: expect.stringMatching(/WRONGTYPE/),
    });
    expect(a.log.completed).toBe(true);
    await expect(a.service.claim('s')).rejects.toMatchObject({ code: 'VQ_OWNERSHIP_STOPPED' });
    await a.close();
    expect(a.log.of('terminated')).toHaveLength(1);
  });
});
