export * from './valkey-queue.error.js';
export * from './config.error.js';
export * from './connection.error.js';
export * from './invalid-options.error.js';
export * from './invalid-queue-name.error.js';
