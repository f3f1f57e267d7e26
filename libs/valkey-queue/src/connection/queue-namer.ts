import { Cluster } from 'ioredis';
import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';
import type { QueueKeys } from '../utils/keys.util.js';
import type { ValkeyClient } from './create-client.js';

/**
 * The key a `queueNamer` chose for `queue` (a sender's or a list worker's, e.g. valkeysender's
 * `queue:<name>`), checked: a non-empty string, and on Cluster one that contains the queue's hash
 * tag, or the scripts (which also touch the queue's delayed, dead-letter, marker and in-flight
 * keys) would fail with CROSSSLOT. Throws `InvalidQueueNameError`. @internal
 */
export function namedQueueKey(
  queue: string,
  keys: QueueKeys,
  queueNamer: (queue: string) => string,
  client: ValkeyClient,
): string {
  const named: unknown = queueNamer(queue);
  if (typeof named !== 'string' || named.length === 0) {
    throw new InvalidQueueNameError(queue, `queueNamer returned ${JSON.stringify(named)}, not a key name`);
  }
  if (client instanceof Cluster && !named.includes(keys.tag)) {
    throw new InvalidQueueNameError(
      queue,
      `on Valkey Cluster the queueNamer's key must contain the hash tag ${keys.tag}`,
    );
  }
  return named;
}
