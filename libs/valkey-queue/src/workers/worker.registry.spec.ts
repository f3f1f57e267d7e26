import { DuplicateWorkerError } from '../errors/duplicate-worker.error.js';
import type { QueueWorkerHandle } from '../interfaces/queue-worker-handle.interface.js';
import type { WorkerDefinition } from './worker-definition.js';
import { resolveWorkerDefaults, resolveWorkerOptions } from '../config/worker-options.js';
import { WorkerRegistry } from './worker.registry.js';

const definition = (name: string, queue: string, group?: string): WorkerDefinition => ({
  name,
  options: resolveWorkerOptions(name, queue, { group }, resolveWorkerDefaults(undefined), {}),
  handlers: { message: () => undefined },
});
const handle = (name: string): QueueWorkerHandle => ({ name }) as QueueWorkerHandle;

describe('WorkerRegistry', () => {
  it('refuses a second worker on the same queue and group, naming both', () => {
    const registry = new WorkerRegistry();
    registry.register(definition('A', 'orders'));
    expect(() => registry.register(definition('B', 'orders', 'default'))).toThrow(DuplicateWorkerError);
    expect(() => registry.register(definition('B', 'orders'))).toThrow(/A and B both consume queue 'orders'/);
    expect(() => registry.register(definition('C', 'orders', 'billing'))).not.toThrow();
  });

  it('returns handles once attached, by queue and optionally group', () => {
    const registry = new WorkerRegistry();
    const orders = definition('A', 'orders');
    const billing = definition('B', 'orders', 'billing');
    registry.register(orders);
    registry.register(billing);
    expect(registry.get('orders')).toBeUndefined();
    registry.attach(orders, handle('A'));
    registry.attach(billing, handle('B'));
    expect(registry.get('orders')?.name).toBe('A');
    expect(registry.get('orders', 'billing')?.name).toBe('B');
    expect(registry.get('orders', 'nope')).toBeUndefined();
    expect(registry.get('other')).toBeUndefined();
  });

  it('lists handles as a copy', () => {
    const registry = new WorkerRegistry();
    const orders = definition('A', 'orders');
    registry.register(orders);
    registry.attach(orders, handle('A'));
    const list = registry.list();
    list.pop();
    expect(registry.list().map(({ name }) => name)).toEqual(['A']);
    expect(registry.definitions()).not.toBe(registry.definitions());
  });
});
