import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { ValkeyQueueOptions } from './interfaces/valkey-queue-options.interface.js';

/** Options that shape the module itself rather than the queue behaviour. */
export interface ValkeyQueueExtras {
  /** Register the module globally, so its providers are injectable in every module. @default true */
  isGlobal?: boolean;
}

/** For `forRootAsync({ useClass })` / `useExisting`: a provider that builds the options. */
export interface ValkeyQueueOptionsFactory {
  createValkeyQueueOptions(): ValkeyQueueOptions | Promise<ValkeyQueueOptions>;
}

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: VALKEY_QUEUE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<ValkeyQueueOptions>({ moduleName: 'ValkeyQueue' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createValkeyQueueOptions')
  .setExtras<ValkeyQueueExtras>({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();
