import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { toStreamFields, type Envelope } from '../envelope/envelope.js';
import { newMessageId } from '../envelope/message-id.js';
import { InvalidSendOptionsError } from '../errors/invalid-send-options.error.js';
import { NotSupportedError } from '../errors/not-supported.error.js';
import { checkOrderingKey } from '../ordering/ordering-key.js';
import type { SendOptions } from '../interfaces/send-options.interface.js';
import { orderingKeysOf } from '../ordering/ordering-keys.js';
import type { SendCall, SendCallSettings } from './build-send-call.js';
import type { CheckedSendOptions } from './check-send-options.js';
import type { QueueTarget } from './queue-target.js';

/**
 * Ordered messages live in per-key lists beside the stream, which list-transport consumers (and
 * valkeysender-format readers in other languages) never look at: refused there, nothing written.
 * @internal
 */
export function assertOrderable(target: QueueTarget, options: CheckedSendOptions): void {
  if (options.orderingKey !== undefined && target.settings.transport === 'list') {
    throw new NotSupportedError(
      'orderingKey on the list transport',
      'ordered messages need the stream transport (a list is one shared FIFO that foreign consumers ' +
        'also pop, so per-key order could not be kept); nothing was sent',
    );
  }
}

/**
 * The `vqOrderedSend` call of messages sent with an ordering key: the layout of send.lua's
 * arguments (so `markAsRetry` sets the same item), each message as (ordering key, body).
 * @internal
 */
export function buildOrderedCall(
  settings: SendCallSettings,
  payloads: readonly string[],
  options: CheckedSendOptions,
  createdAt: number,
): SendCall {
  const orderingKey = options.orderingKey as string;
  const headers = options.headers ? { ...settings.headers, ...options.headers } : settings.headers;
  const ttl = options.ttl ?? settings.ttl;
  const envelopes: Envelope[] = new Array<Envelope>(payloads.length);
  const data: string[] = [];
  for (let index = 0; index < payloads.length; index++) {
    const envelope: Envelope = {
      id: newMessageId(),
      payload: payloads[index],
      headers,
      createdAt,
      attempt: 1,
    };
    if (ttl !== undefined) envelope.expiresAt = createdAt + ttl;
    if (options.dedupKey !== undefined) envelope.dedupKey = options.dedupKey;
    if (options.labels !== undefined) envelope.labels = options.labels;
    envelopes[index] = envelope;
    data.push(orderingKey, encodeDelayedBody(toStreamFields(envelope)));
  }
  const { keys } = settings;
  const ordering = orderingKeysOf(keys);
  const first = envelopes[0].id;
  const dedupTtl = options.dedupKey === undefined ? 0 : (options.dedupTtl ?? settings.dedupTtl);
  const args: (string | number | string[])[] = [
    ordering.ready,
    ordering.holders,
    ordering.parked,
    keys.sent(first),
    dedupTtl > 0 ? keys.dedup(options.dedupKey as string) : keys.sent(first),
    ordering.listPrefix,
    settings.idempotencyWindow,
    dedupTtl,
    first,
    '',
    '',
    options.dueAt ?? '',
    options.delay ?? '',
    2,
    0, // a first attempt (RETRY_FLAG)
    ...data,
  ];
  return { queue: settings.queue, mode: 'ordered', envelopes, args };
}

/**
 * Checks `orderingKey` (returned) and what it cannot go with: a priority (an ordered key runs its messages in
 * send order, which a priority would contradict). Throws `InvalidSendOptionsError`. @internal
 */
export function checkOrderingOptions(options: SendOptions): string {
  const orderingKey = checkOrderingKey(options.orderingKey);
  if (options.priority !== undefined && options.priority !== 0) {
    throw new InvalidSendOptionsError(
      'orderingKey',
      options.orderingKey,
      'no priority with an orderingKey (messages of one key run in send order)',
    );
  }
  return orderingKey;
}
