import { Cluster } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { InvalidQueueNameError } from '../../errors/invalid-queue-name.error.js';
import type { QueueKeys } from '../../utils/keys.util.js';

/**
 * The key a list worker consumes: the key layout's `{<prefix>:<queue>}:list`, or the one its
 * `queueNamer` returns (e.g. valkeysender's `queue:<name>`). Checked like the senders' queueNamer: a
 * non-empty string, and on Cluster one containing the queue's hash tag, or the worker's scripts
 * (which also touch the queue's in-flight, delayed and dead-letter keys) would fail with CROSSSLOT.
 * Throws `InvalidQueueNameError`. @internal
 */
export function listKeyOf(
  queue: string,
  keys: QueueKeys,
  queueNamer: ((queue: string) => string) | undefined,
  client: ValkeyClient,
): string {
  if (!queueNamer) return keys.list;
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
