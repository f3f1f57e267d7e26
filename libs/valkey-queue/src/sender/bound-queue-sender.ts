import type { SendOptions, SendResult } from '../interfaces/send-options.interface.js';
import type { SenderCore } from './sender-core.js';
import type { SenderTransport } from '../interfaces/sender-options.interface.js';

/**
 * A sender bound to one queue, with its own options: what `@InjectSender(name)` injects after
 * `ValkeyQueueModule.registerSender({ name, ... })`.
 *
 * @example
 * constructor(@InjectSender('orders') private readonly orders: BoundQueueSender<OrderCreated>) {}
 * await this.orders.send({ orderId: 42 }, { ttl: 60_000 });
 */
export class BoundQueueSender<T = unknown> {
  /** @internal */
  constructor(
    /** The queue this sender writes to. */
    readonly queue: string,
    private readonly core: SenderCore,
  ) {}

  /** Stream or list. */
  get transport(): SenderTransport {
    return this.core.options.transport;
  }

  /** Like `QueueSender.send(queue, payload, options)`. */
  send(payload: T, options?: SendOptions): Promise<SendResult> {
    return this.core.send(this.queue, payload, options);
  }

  /** Like `QueueSender.sendBatch(queue, payloads, options)`. */
  sendBatch(payloads: T[], options?: SendOptions): Promise<SendResult[]> {
    return this.core.sendBatch(this.queue, payloads, options);
  }

  /** Like `QueueSender.size(queue)`. */
  size(): Promise<number> {
    return this.core.size(this.queue);
  }
}
