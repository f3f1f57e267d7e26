export * from './queue.health.js';
export * from './valkey.health.js';
export * from './valkey-queue-health.module.js';
export * from './history.health.js';
