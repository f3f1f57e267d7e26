// The public entry point of `nestjs-valkey-queue`. Anything not exported here is internal.
export { ValkeyQueueModule } from './valkey-queue.module.js';
export type { ValkeyQueueExtras, ValkeyQueueOptionsFactory } from './valkey-queue.module-definition.js';
export { VALKEY_QUEUE_OPTIONS } from './valkey-queue.module-definition.js';
export { VALKEY_QUEUE_CLIENT } from './valkey-queue.constants.js';
export * from './decorators/index.js';
export type * from './interfaces/connection-options.interface.js';
export type * from './interfaces/valkey-queue-options.interface.js';
export { loadValkeyQueueOptionsFromEnv } from './config/load-options-from-env.js';
export { parseDuration } from './config/env-parsers.js';
export { ValkeyConnection } from './connection/valkey-connection.js';
export type { ValkeyClient } from './connection/create-client.js';
export * from './errors/index.js';
export { TimeoutError } from './utils/with-timeout.util.js';
