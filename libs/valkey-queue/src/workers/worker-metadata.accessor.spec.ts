import 'reflect-metadata';
import { Reflector } from '@nestjs/core';
import { OnBroken } from '../decorators/on-broken.decorator.js';
import { OnDead } from '../decorators/on-dead.decorator.js';
import { OnMessage } from '../decorators/on-message.decorator.js';
import { QueueWorker } from '../decorators/queue-worker.decorator.js';
import { WorkerMetadataAccessor } from './worker-metadata.accessor.js';

describe('worker decorators and WorkerMetadataAccessor', () => {
  const accessor = new WorkerMetadataAccessor(new Reflector());

  @QueueWorker('orders', { concurrency: 4 })
  class OrdersWorker {
    @OnMessage() async handle(): Promise<void> {}
    @OnDead() async dead(): Promise<void> {}
    @OnBroken() async broken(): Promise<void> {}
    async helper(): Promise<void> {}
  }

  it('reads the queue and options of @QueueWorker', () => {
    expect(accessor.getWorkerMetadata(OrdersWorker)).toEqual({
      queue: 'orders',
      options: { concurrency: 4 },
    });
    expect(accessor.getWorkerMetadata(class Plain {})).toBeUndefined();
    expect(accessor.getWorkerMetadata(undefined)).toBeUndefined();
  });

  it('defaults the options to {}', () => {
    @QueueWorker('bare')
    class BareWorker {}
    expect(accessor.getWorkerMetadata(BareWorker)).toEqual({ queue: 'bare', options: {} });
  });

  it('tells the handler kind of each method', () => {
    const proto = OrdersWorker.prototype;
    expect(accessor.getHandlerKind(proto.handle)).toBe('message');
    expect(accessor.getHandlerKind(proto.dead)).toBe('dead');
    expect(accessor.getHandlerKind(proto.broken)).toBe('broken');
    expect(accessor.getHandlerKind(proto.helper)).toBeUndefined();
    expect(accessor.getHandlerKind('not a function')).toBeUndefined();
  });
});
