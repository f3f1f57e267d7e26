import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { toStreamFields, type Envelope } from '../envelope/envelope.js';
import { NotSupportedError } from '../errors/not-supported.error.js';
import { orderingKeysOf } from '../ordering/ordering-keys.js';
import type { QueueKeys } from '../utils/keys.util.js';
import type { CheckedSendOptions } from './check-send-options.js';
import { newEnvelopes } from './send-envelopes.js';

/** What an ordered call needs of the send settings (build-send-call.ts `SendCallSettings`). */
interface OrderedCallSettings {
  transport: 'stream' | 'list';
  keys: Pick<QueueKeys, 'tag' | 'sent' | 'dedup'>;
  queue: string;
  idempotencyWindow: number;
  dedupTtl: number;
  headers: Record<string, string>;
  ttl?: number;
}

/** One `vqOrderedSend` call (a `SendCall` of mode 'ordered'). */
interface OrderedCall {
  queue: string;
  mode: 'ordered';
  envelopes: Envelope[];
  args: (string | number | string[])[];
}

/**
 * Ordered messages live in per-key lists beside the stream, which list-transport consumers (and
 * valkeysender-format readers in other languages) never look at: refused there, nothing written.
 * @internal
 */
export function assertOrderable(
  target: { settings: { transport: 'stream' | 'list' } },
  options: CheckedSendOptions,
): void {
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
  settings: OrderedCallSettings,
  payloads: readonly string[],
  options: CheckedSendOptions,
  createdAt: number,
): OrderedCall {
  const orderingKey = options.orderingKey as string;
  const envelopes = newEnvelopes(settings, payloads, options, createdAt);
  const data: string[] = [];
  for (const envelope of envelopes) data.push(orderingKey, encodeDelayedBody(toStreamFields(envelope)));
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
