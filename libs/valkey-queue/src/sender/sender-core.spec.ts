import { jest } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import type { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';
import { resolveSenderDefaults } from '../config/resolve-sender-options.js';
import type { SendScript } from './send-script.js';
import { SenderCore } from './sender-core.js';
import type { SenderResilience } from './sender-resilience.js';
import type { SenderStatus } from './sender-status.js';

/** A core whose script call is a stub: pure logic only, no server. */
function core(client: Redis | Cluster, options = {}) {
  const call = jest.fn<SendScript['call']>(async () => [0, 1, -1]);
  const status = { recordSuccess: jest.fn(), recordFailure: jest.fn(), recordRetry: jest.fn() };
  const resilience = {
    breaker: undefined,
    createRetry: () => ({ execute: (fn: () => unknown) => fn(), onRetry: () => undefined }),
  };
  const sender = new SenderCore(
    resolveSenderDefaults({ rateLimit: false, ...options }),
    {
      client,
      script: { call } as unknown as SendScript,
      prefix: 'vq',
      resilience: resilience as unknown as SenderResilience,
      status: status as unknown as SenderStatus,
      promoter: { watch: jest.fn(), scheduled: jest.fn() } as unknown as DelayedPromoter,
      tracing: true,
    },
    undefined,
  );
  return { sender, call, status };
}

describe('SenderCore (stubbed script)', () => {
  const standalone = new Redis({ lazyConnect: true });
  const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
  afterAll(() => {
    standalone.disconnect();
    cluster.disconnect();
  });

  it('refuses, on Cluster, a queueNamer key without the queue hash tag, before any call', async () => {
    const { sender, call, status } = core(cluster, { queueNamer: (queue: string) => `queue:${queue}` });

    await expect(sender.send('orders', 1)).rejects.toBeInstanceOf(InvalidQueueNameError);

    expect(call).not.toHaveBeenCalled();
    expect(status.recordFailure).toHaveBeenCalledWith('invalid');
  });

  it('accepts, on Cluster, a queueNamer key that keeps the hash tag', async () => {
    const { sender, call } = core(cluster, { queueNamer: (queue: string) => `queue:{vq:${queue}}` });

    await expect(sender.send('orders', 1)).resolves.toMatchObject({ queue: 'orders', deduplicated: false });
    expect(call.mock.calls[0][0].args[0]).toBe('queue:{vq:orders}');
  });

  it('refuses a queueNamer that returns no key name', async () => {
    const { sender } = core(standalone, { queueNamer: () => '' });

    await expect(sender.send('orders', 1)).rejects.toThrow(/queueNamer returned ""/);
  });

  it('treats a dedup reply holding its own id as its own earlier write (a retry), not a duplicate', async () => {
    const { sender, call } = core(standalone);
    call.mockImplementationOnce(async (sendCall) => [1, sendCall.envelopes[0].id]);

    const result = await sender.send('orders', 1, { dedupKey: 'k' });

    expect(result.deduplicated).toBe(false);
  });

  it('resolves an "already written" reply as a normal send', async () => {
    const { sender, call } = core(standalone);
    call.mockImplementationOnce(async () => [2]);

    await expect(sender.send('orders', 1)).resolves.toMatchObject({ deduplicated: false });
  });
});
