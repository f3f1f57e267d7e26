export * from './inject-sender.decorator.js';
export * from './inject-valkey-client.decorator.js';
export * from './on-broken.decorator.js';
export * from './on-dead.decorator.js';
export * from './on-message.decorator.js';
export * from './queue-worker.decorator.js';
export * from './scheduled.decorator.js';
