import { SetMetadata } from '@nestjs/common';
import type { WorkerOptions } from '../interfaces/worker-options.interface.js';
import { QUEUE_WORKER_METADATA } from './worker.constants.js';

/** What `@QueueWorker()` stores on the class. @internal */
export interface QueueWorkerMetadata {
  queue: string;
  options: WorkerOptions;
}

/**
 * Makes a provider the consumer of `queue`: its `@OnMessage()` method is called for each message,
 * with at-least-once delivery. List the class in a module's `providers`; it is discovered at
 * bootstrap and starts consuming on application bootstrap (unless `autoStart: false`).
 * Constructor injection works as for any provider; request scope is refused.
 * @example
 * @QueueWorker('orders', { concurrency: 10, maxRetries: 5 })
 * export class OrdersWorker {
 *   @OnMessage() async handle(msg: QueueMessage<Order>): Promise<void> { ... }
 * }
 */
export const QueueWorker = (queue: string, options: WorkerOptions = {}): ClassDecorator =>
  SetMetadata(QUEUE_WORKER_METADATA, { queue, options } satisfies QueueWorkerMetadata);
