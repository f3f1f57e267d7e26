export * from './inject-valkey-client.decorator.js';
