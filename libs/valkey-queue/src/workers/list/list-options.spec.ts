import { Cluster, Redis } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { InvalidQueueNameError } from '../../errors/invalid-queue-name.error.js';
import { InvalidWorkerError } from '../../errors/invalid-worker.error.js';
import { queueKeys } from '../../utils/keys.util.js';
import { resolveWorkerDefaults, resolveWorkerOptions } from '../worker-options.js';
import { listKeyOf } from './list-options.js';

const defaults = { ...resolveWorkerDefaults({ deleteOnAck: true }), group: 'shop' };
const resolve = (options: unknown) =>
  resolveWorkerOptions('ListWorker', 'orders', options, defaults, { POD_NAME: 'pod-1' });
const failure = (options: unknown): InvalidWorkerError => {
  let thrown: unknown;
  try {
    resolve(options);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(InvalidWorkerError);
  return thrown as InvalidWorkerError;
};

describe('list transport options', () => {
  it('resolves a list worker: no deleteOnAck or trimming whatever the module defaults say', () => {
    const namer = (queue: string): string => `queue:${queue}`;
    expect(resolve({ transport: 'list', queueNamer: namer })).toMatchObject({
      transport: 'list',
      queueNamer: namer,
      deleteOnAck: false,
      trimAcked: false,
      noAck: false,
    });
    expect(resolve({})).toMatchObject({ transport: 'stream', deleteOnAck: true, trimAcked: true });
    expect(resolve({}).queueNamer).toBeUndefined();
  });

  it('refuses options that do not apply to lists, naming the worker', () => {
    expect(failure({ transport: 'list', deleteOnAck: true }).message).toMatch(
      /^Invalid worker ListWorker: deleteOnAck does not apply to transport 'list'/,
    );
    expect(failure({ transport: 'list', noAck: true }).message).toMatch(/noAck is not available/);
    expect(failure({ transport: 'list', group: 'billing' }).message).toMatch(/group does not apply/);
    expect(failure({ queueNamer: (queue: string) => queue }).message).toMatch(
      /queueNamer needs transport 'list'/,
    );
    expect(failure({ transport: 'list', queueNamer: 'queue:x' }).message).toMatch(
      /queueNamer must be a function/,
    );
    // harmless values are accepted
    expect(resolve({ transport: 'list', deleteOnAck: false, noAck: false })).toMatchObject({ noAck: false });
  });

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
