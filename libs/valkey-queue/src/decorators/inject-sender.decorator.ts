import { Inject } from '@nestjs/common';
import { getSenderToken } from '../valkey-queue.constants.js';

/**
 * Injects the `BoundQueueSender` registered with `ValkeyQueueModule.registerSender({ name })`.
 *
 * @example
 * constructor(@InjectSender('orders') private readonly orders: BoundQueueSender<Order>) {}
 */
export const InjectSender = (name: string): PropertyDecorator & ParameterDecorator =>
  Inject(getSenderToken(name));
