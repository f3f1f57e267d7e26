import { Module, type DynamicModule } from '@nestjs/common';
import { validateRegisterSenderOptions } from '../config/resolve-sender-options.js';
import { BoundQueueSender } from './bound-queue-sender.js';
import { SenderFactory } from './sender-factory.js';
import type { RegisterSenderOptions } from '../interfaces/sender-options.interface.js';
import { getSenderToken } from '../valkey-queue.constants.js';

/**
 * Host of the senders from `ValkeyQueueModule.registerSender()`. A separate class, since a dynamic
 * module of ValkeyQueueModule itself would instantiate its connection providers again.
 * @internal
 */
@Module({})
export class ValkeyQueueSenderModule {
  /** Validates at once (a bad registration fails at import time) and provides the bound sender. */
  static register(options: RegisterSenderOptions): DynamicModule {
    validateRegisterSenderOptions(options);
    const token = getSenderToken(options.name);
    return {
      module: ValkeyQueueSenderModule,
      providers: [
        {
          provide: token,
          useFactory: (factory: SenderFactory) => new BoundQueueSender(options.name, factory.create(options)),
          inject: [SenderFactory],
        },
      ],
      exports: [token],
    };
  }
}
