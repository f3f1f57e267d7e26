import { Injectable } from '@nestjs/common';
import type { SendOptions, SendResult } from '../interfaces/send-options.interface.js';
import { SenderFactory } from './sender-factory.js';

/**
 * Sends messages to any queue. Injectable anywhere after `ValkeyQueueModule.forRoot()`; uses the
 * module's `sender` defaults. Every bad input rejects before anything is written.
 *
 * @example
 * constructor(private readonly sender: QueueSender) {}
 * await this.sender.send('orders', { orderId: 42 }, { dedupKey: 'order-42' });
 */
@Injectable()
export class QueueSender {
  constructor(private readonly factory: SenderFactory) {}

  /**
   * Appends one message (or parks it in the delayed set with `delay`/`at`), in one script call
   * together with its dedup check. Resolves once it is written.
   */
  send<T>(queue: string, payload: T, options?: SendOptions): Promise<SendResult> {
    return this.factory.root.send(queue, payload, options);
  }

  /**
   * Sends many messages, one script call per `chunkSize` chunk, each chunk all-or-nothing. Results
   * are in input order. If a chunk fails after earlier ones were written, rejects with
   * `BatchSendError` saying how many (always a prefix of `payloads`) were written.
   */
  sendBatch<T>(queue: string, payloads: T[], options?: SendOptions): Promise<SendResult[]> {
    return this.factory.root.sendBatch(queue, payloads, options);
  }

  /** Messages not finished yet: waiting + in-flight + delayed (docs/sending.md has the details). */
  size(queue: string): Promise<number> {
    return this.factory.root.size(queue);
  }
}
