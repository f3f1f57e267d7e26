import type { ValkeyClient } from '../../connection/create-client.js';
import { namedQueueKey } from '../../connection/queue-namer.js';
import type { QueueKeys } from '../../utils/keys.util.js';

/**
 * The key a list worker consumes: the key layout's `{<prefix>:<queue>}:list`, or the one its
 * `queueNamer` returns, checked as the senders' is (`InvalidQueueNameError`). @internal
 */
export function listKeyOf(
  queue: string,
  keys: QueueKeys,
  queueNamer: ((queue: string) => string) | undefined,
  client: ValkeyClient,
): string {
  return queueNamer ? namedQueueKey(queue, keys, queueNamer, client) : keys.list;
}
