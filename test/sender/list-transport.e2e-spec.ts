import { NotSupportedError } from 'nestjs-valkey-queue';
import { describeStandalone } from '../utils/topology.js';
import { keysOf, layout, newQueue, pollUntil, useSender } from './sender-fixtures.js';

describe('QueueSender on lists (real Valkey)', () => {
  const suite = useSender({ transport: 'list' });

  it('pushes one JSON element that a plain BRPOP reads', async () => {
    const queue = newQueue();

    const result = await suite.sender.send(queue, { orderId: 42 }, { headers: { trace: 't' }, ttl: 10_000 });

    const popped = await suite.redis.brpop(layout(queue).list, 1);
    expect(popped?.[0]).toBe(layout(queue).list);
    const element = JSON.parse(popped![1]);
    expect(element).toEqual({
      v: '1',
      id: result.id,
      payload: '{"orderId":42}',
      headers: { trace: 't' },
      createdAt: expect.any(Number),
      attempt: 1,
      expiresAt: element.createdAt + 10_000,
    });
    await expect(suite.redis.pttl(layout(queue).list)).resolves.toBe(-2); // popped empty; never had a TTL
  });

  it('keeps batch order: the first payload is popped first', async () => {
    const queue = newQueue();

    await suite.sender.sendBatch(queue, ['a', 'b', 'c']);
    await suite.sender.send(queue, 'd');

    const popped: string[] = [];
    for (let index = 0; index < 4; index++) {
      const [, element] = (await suite.redis.brpop(layout(queue).list, 1))!;
      popped.push(JSON.parse(JSON.parse(element).payload));
    }
    expect(popped).toEqual(['a', 'b', 'c', 'd']);
    await expect(suite.redis.pttl(layout(queue).list)).resolves.toBe(-2);
  });

  it('never sets a TTL on the list', async () => {
    const queue = newQueue();

    await suite.sender.send(queue, 1, { ttl: 1 });

    await expect(suite.redis.pttl(layout(queue).list)).resolves.toBe(-1);
  });

  it('parks delayed list messages and the promoter pushes them when due', async () => {
    const queue = newQueue();

    const result = await suite.sender.send(queue, 'later', { delay: 200 });

    expect(result.scheduledFor).toBeInstanceOf(Date);
    await expect(suite.redis.exists(layout(queue).list)).resolves.toBe(0);
    const body = await suite.redis.hget(layout(queue).bodies, result.id);
    expect(JSON.parse(body!)).toMatchObject({ id: result.id, payload: '"later"' });
    const element = await pollUntil(
      () => suite.redis.rpop(layout(queue).list),
      (value) => value !== null,
    );
    expect(element).toBe(body);
  });

  it('dedups on lists', async () => {
    const queue = newQueue();
    const first = await suite.sender.send(queue, 1, { dedupKey: 'k' });

    await expect(suite.sender.send(queue, 2, { dedupKey: 'k' })).resolves.toEqual({
      id: first.id,
      queue,
      deduplicated: true,
    });
    await expect(suite.redis.llen(layout(queue).list)).resolves.toBe(1);
  });

  it('sizes a list queue as its length plus its delayed messages', async () => {
    const queue = newQueue();
    await suite.sender.sendBatch(queue, [1, 2, 3]);
    await suite.sender.send(queue, 4, { delay: 60_000 });

    await expect(suite.sender.size(queue)).resolves.toBe(4);
  });
});

describeStandalone('valkeysender key names carry no hash tag, which senders refuse on Cluster by design')(
  'queueNamer: valkeysender-compatible names (real Valkey)',
  () => {
    const suite = useSender({ transport: 'list', queueNamer: (queue) => `queue:${queue}` });

    it('pushes to queue:<name>, readable by a plain BRPOP consumer', async () => {
      const queue = newQueue();

      const { id } = await suite.sender.send(queue, { hello: 'world' });

      const [key, element] = (await suite.redis.brpop(`queue:${queue}`, 1))!;
      expect(key).toBe(`queue:${queue}`);
      expect(JSON.parse(element)).toMatchObject({ id, payload: '{"hello":"world"}' });
      await expect(suite.redis.exists(layout(queue).list)).resolves.toBe(0);
    });

    it('sizes the named list', async () => {
      const queue = newQueue();
      await suite.sender.sendBatch(queue, [1, 2]);

      await expect(suite.sender.size(queue)).resolves.toBe(2);
    });

    it('refuses delay/at, which would be promoted to the default key', async () => {
      const queue = newQueue();

      await expect(suite.sender.send(queue, 1, { delay: 1_000 })).rejects.toBeInstanceOf(NotSupportedError);

      await expect(keysOf(suite.redis, queue)).resolves.toEqual([]);
      await expect(suite.redis.exists(`queue:${queue}`)).resolves.toBe(0);
    });
  },
);

describe("QueueSender with valkeysender's list format (real Valkey)", () => {
  const suite = useSender({ transport: 'list', listFormat: 'valkeysender' });

  it("pushes valkeysender's element: base64 payload, RFC 3339 timestamp, nanosecond ttl", async () => {
    const queue = newQueue();
    const before = Date.now();

    const { id } = await suite.sender.send(queue, { name: 'Ada' }, { ttl: 90_000, headers: { trace: 't' } });

    const [, popped] = (await suite.redis.brpop(layout(queue).list, 1))!;
    const element = JSON.parse(popped) as Record<string, unknown>;
    expect(element).toEqual({
      id,
      queue,
      payload: Buffer.from('{"name":"Ada"}').toString('base64'),
      headers: { trace: 't' },
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      ttl: 90_000 * 1_000_000,
      retries: 0,
    });
    expect(Date.parse(element.timestamp as string)).toBeGreaterThanOrEqual(before);
  });

  it('promotes a delayed message in the same format', async () => {
    const queue = newQueue();

    const { id } = await suite.sender.send(queue, 'later', { delay: 100 });

    const [, popped] = (await suite.redis.brpop(layout(queue).list, 5))!;
    expect(JSON.parse(popped)).toMatchObject({
      id,
      queue,
      payload: Buffer.from('"later"').toString('base64'),
    });
  });
});
