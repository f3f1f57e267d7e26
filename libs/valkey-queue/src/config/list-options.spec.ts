import { InvalidWorkerError } from '../errors/invalid-worker.error.js';
import { resolveWorkerDefaults, resolveWorkerOptions } from './worker-options.js';

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
});
