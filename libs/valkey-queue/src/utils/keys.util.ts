import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';

/** Longest queue name we accept: keys stay short and readable in valkey-cli. */
export const MAX_QUEUE_NAME_LENGTH = 200;

/**
 * Throws `InvalidQueueNameError` unless `name` is usable as a queue name: a non-empty string of
 * at most 200 characters, without braces (they would break the cluster hash tag) and without
 * whitespace or control characters (they make keys unreadable and unscriptable in valkey-cli).
 */
export function assertQueueName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidQueueNameError(name, 'it must be a string');
  if (name.length === 0) throw new InvalidQueueNameError(name, 'it must not be empty');
  if (name.length > MAX_QUEUE_NAME_LENGTH) {
    throw new InvalidQueueNameError(name, `it must be at most ${MAX_QUEUE_NAME_LENGTH} characters`);
  }
  if (/[{}]/.test(name))
    throw new InvalidQueueNameError(name, 'it must not contain { or } (cluster hash tags)');
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidQueueNameError(name, 'it must not contain whitespace or control characters');
  }
}

/**
 * The hash tag every key of one queue shares, `{<prefix>:<queue>}`, so that all of a queue's
 * keys live in one cluster slot and every script on them runs on Valkey Cluster.
 */
export function queueHashTag(prefix: string, queue: string): string {
  assertQueueName(queue);
  return `{${prefix}:${queue}}`;
}
