import { Cluster, Redis } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { InvalidQueueNameError } from '../../errors/invalid-queue-name.error.js';
import { queueKeys } from '../../utils/keys.util.js';
import { listKeyOf } from './list-key.js';

describe('listKeyOf', () => {
  it('uses the key layout list, or the queueNamer key (with the hash tag on Cluster)', () => {
    const keys = queueKeys('vq', 'orders');
    const standalone = Object.create(Redis.prototype) as ValkeyClient;
    const cluster = Object.create(Cluster.prototype) as ValkeyClient;
    expect(listKeyOf('orders', keys, undefined, standalone)).toBe('{vq:orders}:list');
    expect(listKeyOf('orders', keys, (queue) => `queue:${queue}`, standalone)).toBe('queue:orders');
    expect(listKeyOf('orders', keys, (queue) => `queue:{vq:${queue}}`, cluster)).toBe('queue:{vq:orders}');
    expect(() => listKeyOf('orders', keys, (queue) => `queue:${queue}`, cluster)).toThrow(
      InvalidQueueNameError,
    );
    expect(() => listKeyOf('orders', keys, () => '', standalone)).toThrow(/not a key name/);
    expect(() => listKeyOf('orders', keys, () => 7 as never, standalone)).toThrow(/not a key name/);
  });
});
