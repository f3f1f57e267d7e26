import {
  HandlerTimeoutError,
  NonErrorThrownError,
  OnDead,
  OnMessage,
  QueueWorker,
  RetryAfterError,
  UnrecoverableError,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import { TRANSPORTS, useWorkerApp, type WorkerApp } from './transport-kit.js';
import { keysOf, pendingCount, records, stats, uniqueQueue, waitFor } from './worker-test-kit.js';

describe('retries, backoff and dead messages (real Valkey)', () => {
  const apps = useWorkerApp();
  let app: WorkerApp;
  const send = (queue: string, payload: unknown) => app.sender.send(queue, payload);

  describe.each(TRANSPORTS)('on the $name transport', (transport) => {
    it('a handler failing k times succeeds on attempt k + 1, after exactly k retries', async () => {
      const queue = uniqueQueue(transport.name);
      const attempts: number[] = [];
      const succeeded = deferred<QueueMessage>();
      @QueueWorker(queue, { ...transport.worker, maxRetries: 3, backoff: 10 })
      class FlakyWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          attempts.push(message.attempt);
          if (message.attempt <= 2) throw new Error(`failure ${message.attempt}`);
          succeeded.resolve(message);
        }
      }
      const { sender, client } = await apps.boot([FlakyWorker], transport.app);
      const { id } = await sender.send(queue, { n: 1 });
      await expect(succeeded.promise).resolves.toMatchObject({ id, attempt: 3, payload: { n: 1 } });
      await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
      expect(attempts).toEqual([1, 2, 3]);
      await expect(stats(client, queue)).resolves.toEqual({ failed: 2, retried: 2, processed: 1 });
      await expect(client.xlen(keysOf(queue).dead)).resolves.toBe(0);
      await expect(transport.inFlight(client, queue)).resolves.toBe(0);
    });

    it('an always failing message reaches @OnDead exactly once with attempts = maxRetries + 1 (maxRetries 2: 3 calls)', async () => {
      const queue = uniqueQueue(transport.name);
      const calls: number[] = [];
      const dead: DeadMessage[] = [];
      const deadCalled = deferred<void>();
      @QueueWorker(queue, { ...transport.worker, maxRetries: 2, backoff: { type: 'fixed', delay: 10 } })
      class FailingWorker {
        @OnMessage() async handle(message: QueueMessage): Promise<void> {
          calls.push(message.attempt);
          throw new Error('always');
        }
        @OnDead() async dead(message: DeadMessage): Promise<void> {
          dead.push(message);
          deadCalled.resolve();
        }
      }
      const { sender, client } = await apps.boot([FailingWorker], transport.app);
      const { id } = await sender.send(queue, { n: 1 });
      await deadCalled.promise;
      await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
      expect(calls).toEqual([1, 2, 3]);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ id, attempts: 3, attempt: 3, payload: { n: 1 } });
      expect(dead[0].error.message).toBe('always');
      const [letter] = await records(client, keysOf(queue).dead);
      expect(letter).toMatchObject({
        v: '1',
        id,
        payload: '{"n":1}',
        headers: '{}',
        reason: 'dead',
        error: 'always',
        attempts: '3',
        attempt: '3',
        sourceId: transport.deadSource(queue),
      });
      expect(letter.stack).toContain('always');
      await expect(transport.inFlight(client, queue)).resolves.toBe(0);
      await expect(stats(client, queue)).resolves.toEqual({ failed: 3, retried: 2, dead: 1 });
    });
  });

  it('UnrecoverableError goes to dead at once', async () => {
    const queue = uniqueQueue();
    let calls = 0;
    const dead = deferred<DeadMessage>();
    @QueueWorker(queue, { maxRetries: 5 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        calls += 1;
        throw new UnrecoverableError('gone for good');
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.resolve(message);
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    await expect(dead.promise).resolves.toMatchObject({ attempts: 1 });
    expect(calls).toBe(1);
    await expect(dead.promise.then((message) => message.error)).resolves.toBeInstanceOf(UnrecoverableError);
  });

  it('RetryAfterError overrides the backoff delay; delays run from the failure (exponential schedule)', async () => {
    const queue = uniqueQueue();
    const times: number[] = [];
    const done = deferred<void>();
    @QueueWorker(queue, { maxRetries: 3, backoff: { type: 'exponential', delay: 300, maxDelay: 10_000 } })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        times.push(Date.now());
        if (message.attempt === 1) throw new Error('first');
        if (message.attempt === 2) throw new Error('second'); // exponential: 600 ms
        if (message.attempt === 3) throw new RetryAfterError(1_200);
        done.resolve();
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    await done.promise;
    const gaps = times.slice(1).map((time, index) => time - times[index]);
    // Never early (a few ms of clock granularity allowed); late only by promoter precision and load.
    expect(gaps[0]).toBeGreaterThanOrEqual(290);
    expect(gaps[1]).toBeGreaterThanOrEqual(590);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_190);
    gaps.forEach((gap, index) => expect(gap).toBeLessThan([300, 600, 1_200][index] + 5_000));
  });

  it('uses a backoff function of the attempt and the error', async () => {
    const queue = uniqueQueue();
    const seen: [number, string][] = [];
    const done = deferred<void>();
    @QueueWorker(queue, {
      maxRetries: 2,
      backoff: (attempt, error) => {
        seen.push([attempt, error.message]);
        return 5;
      },
    })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        if (message.attempt < 3) throw new Error(`e${message.attempt}`);
        done.resolve();
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    await done.promise;
    expect(seen).toEqual([
      [1, 'e1'],
      [2, 'e2'],
    ]);
  });

  it('handles non-Error throwables: retried, then dead with a readable error', async () => {
    const queue = uniqueQueue();
    const dead = deferred<DeadMessage>();
    @QueueWorker(queue, { maxRetries: 1, backoff: 5 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        throw 'plain string';
      }
      @OnDead() async dead(message: DeadMessage): Promise<void> {
        dead.resolve(message);
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    const message = await dead.promise;
    expect(message.attempts).toBe(2);
    expect(message.error).toBeInstanceOf(NonErrorThrownError);
    expect(message.error.message).toContain('plain string');
  });

  it('timeout aborts msg.signal, counts as a failed attempt, and the retry runs after the handler settled', async () => {
    const queue = uniqueQueue();
    const reasons: unknown[] = [];
    const events: string[] = [];
    const done = deferred<void>();
    @QueueWorker(queue, { timeout: 200, maxRetries: 2, backoff: 5 })
    class Worker {
      @OnMessage() async handle(message: QueueMessage): Promise<void> {
        events.push(`start ${message.attempt}`);
        if (message.attempt === 1) {
          await new Promise<void>((resolve) => message.signal.addEventListener('abort', () => resolve()));
          reasons.push(message.signal.reason);
          await new Promise((resolve) => setTimeout(resolve, 100)); // still cleaning up after the abort
          events.push('end 1');
          return; // resolving after a timeout does not make it a success
        }
        done.resolve();
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    await done.promise;
    expect(reasons[0]).toBeInstanceOf(HandlerTimeoutError);
    expect(events).toEqual(['start 1', 'end 1', 'start 2']);
    const client = app.client;
    await waitFor(async () => (await stats(client, queue)).processed === 1, 'the ack');
    await expect(stats(client, queue)).resolves.toMatchObject({ failed: 1, retried: 1 });
  });

  it('without @OnDead the message still moves to the dead-letter stream', async () => {
    const queue = uniqueQueue();
    @QueueWorker(queue, { maxRetries: 0 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        throw new Error('no hook');
      }
    }
    app = await apps.boot([Worker]);
    const { id } = await send(queue, 1);
    const client = app.client;
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    await expect(records(client, keysOf(queue).dead)).resolves.toEqual([
      expect.objectContaining({ id, reason: 'dead', attempts: '1' }),
    ]);
  });

  it('a throwing @OnDead does not block the move', async () => {
    const queue = uniqueQueue();
    let hookCalls = 0;
    @QueueWorker(queue, { maxRetries: 0 })
    class Worker {
      @OnMessage() async handle(): Promise<void> {
        throw new Error('fail');
      }
      @OnDead() async dead(): Promise<void> {
        hookCalls += 1;
        throw new Error('hook fails too');
      }
    }
    app = await apps.boot([Worker]);
    await send(queue, 1);
    const client = app.client;
    await waitFor(async () => (await client.xlen(keysOf(queue).dead)) === 1, 'the dead letter');
    expect(hookCalls).toBe(1);
    await expect(pendingCount(client, queue)).resolves.toBe(0);
  });
});
