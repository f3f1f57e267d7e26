import { Module } from '@nestjs/common';
import { validateOptions, type ResolvedValkeyQueueOptions } from './config/validate-options.js';
import { ValkeyConnection } from './connection/valkey-connection.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from './valkey-queue.constants.js';
import { ConfigurableModuleClass, VALKEY_QUEUE_OPTIONS } from './valkey-queue.module-definition.js';

/**
 * The root module: `ValkeyQueueModule.forRoot(options)` or `.forRootAsync({ useFactory, inject,
 * imports } | { useClass } | { useExisting })`. Global by default (`isGlobal: false` to opt out).
 * Options are validated at bootstrap, and the server must answer within `connectTimeout` unless
 * `connection.lazyConnect` is set.
 */
@Module({
  providers: [
    { provide: VALKEY_QUEUE_RESOLVED_OPTIONS, useFactory: validateOptions, inject: [VALKEY_QUEUE_OPTIONS] },
    {
      provide: ValkeyConnection,
      useFactory: (options: ResolvedValkeyQueueOptions) => ValkeyConnection.open(options.connection),
      inject: [VALKEY_QUEUE_RESOLVED_OPTIONS],
    },
    {
      provide: VALKEY_QUEUE_CLIENT,
      useFactory: (connection: ValkeyConnection) => connection.client,
      inject: [ValkeyConnection],
    },
  ],
  exports: [VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS, ValkeyConnection],
})
export class ValkeyQueueModule extends ConfigurableModuleClass {}
