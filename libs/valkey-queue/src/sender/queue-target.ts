import type { ValkeyClient } from '../connection/create-client.js';
import { namedQueueKey } from '../connection/queue-namer.js';
import { NotSupportedError } from '../errors/not-supported.error.js';
import { queueKeys } from '../utils/keys.util.js';
import type { SendCallSettings } from './build-send-call.js';
import type { CheckedSendOptions } from './check-send-options.js';
import type { ResolvedSenderOptions } from '../config/resolve-sender-options.js';

/** Where one queue's messages go, resolved once per queue name and sender. @internal */
export interface QueueTarget {
  settings: SendCallSettings;
  /** The queueNamer chose a key outside the key layout. */
  customName: boolean;
}

/**
 * The keys and write settings of `queue` for a sender. Validates the name and a `queueNamer`'s
 * result (`InvalidQueueNameError`, see `namedQueueKey`).
 * @internal
 */
export function resolveQueueTarget(
  queue: string,
  prefix: string,
  options: ResolvedSenderOptions,
  client: ValkeyClient,
): QueueTarget {
  const keys = queueKeys(prefix, queue);
  const { transport, queueNamer, maxLen, maxAge } = options;
  const layoutKey = transport === 'list' ? keys.list : keys.stream;
  const key = queueNamer ? namedQueueKey(queue, keys, queueNamer, client) : layoutKey;
  const settings: SendCallSettings = {
    transport,
    keys,
    target: key,
    queue,
    listFormat: options.listFormat,
    // Written without retries too: ioredis resends a call left unanswered by a dropped connection.
    idempotencyWindow: options.idempotencyWindow,
    dedupTtl: options.dedupTtl,
    trim: maxLen !== undefined ? 'MAXLEN' : maxAge !== undefined ? 'MINID' : '',
    trimValue: maxLen ?? maxAge ?? 0,
    // Shared by the envelopes of every send without own headers: frozen, so a hook cannot alter it.
    headers: Object.freeze({ ...options.headers }),
    ttl: options.ttl,
  };
  return { settings, customName: key !== layoutKey };
}

/** Delayed messages are promoted to the key layout's key, so a custom queue name cannot take them. @internal */
export function assertDelayable(target: QueueTarget, options: CheckedSendOptions): void {
  if (target.customName && (options.delay !== undefined || options.dueAt !== undefined)) {
    throw new NotSupportedError(
      'delay/at with a custom queueNamer',
      'delayed messages are promoted to the default queue key; nothing was sent',
    );
  }
}
