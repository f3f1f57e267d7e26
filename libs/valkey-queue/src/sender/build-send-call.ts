import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { toListElement, toStreamFields, type Envelope } from '../envelope/envelope.js';
import { priorityKey } from '../envelope/priority.js';
import { toValkeysenderElement } from '../envelope/valkeysender-format.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { buildOrderedCall } from './ordered-send.js';
import { newEnvelopes } from './send-envelopes.js';
import { newPlainSend, type PlainSend } from './plain-send.js';
import type { CheckedSendOptions } from './check-send-options.js';
import type { ListFormat, SenderTransport } from '../interfaces/sender-options.interface.js';

/** How a call writes: appended now to the stream or list, or parked in the delayed set. */
export type SendMode = 'stream' | 'list' | 'delayed' | 'ordered';

/** Everything about one script call except the messages' data. @internal */
export interface SendCallSettings {
  transport: SenderTransport;
  keys: QueueKeys;
  /** The key messages are appended to (the key layout's, or the queueNamer's). */
  target: string;
  /** The queue's name, written into valkeysender elements. */
  queue: string;
  /** List element format (list transport). */
  listFormat: ListFormat;
  /** Marker TTL, 0 for none. */
  idempotencyWindow: number;
  dedupTtl: number;
  trim: '' | 'MAXLEN' | 'MINID';
  trimValue: number;
  headers: Record<string, string>;
  ttl?: number;
}

/** One ready-to-run script call: a single send, or one chunk of a batch. @internal */
export interface SendCall {
  /** The queue's name (for errors). */
  queue: string;
  mode: SendMode;
  envelopes: Envelope[];
  /**
   * Arguments of `vqSend` after the command name: 5 keys, 10 settings, then one item per message.
   * Built once per call; a retry only sets its `RETRY_FLAG` item (see `markAsRetry`).
   */
  args: (string | number | string[])[];
  /** Set for a plain single send, which may share one send-many.lua call with concurrent ones. */
  shareable?: ShareableSend;
  /** Set for a single send that may go out as a bare XADD (see plain-send.ts). */
  plain?: PlainSend;
}

/** A single immediate send without dedup key, as send-many.lua takes it. @internal */
export interface ShareableSend {
  target: string;
  mode: 'stream' | 'list';
  marker: string;
  markerTtl: number;
  trim: SendCallSettings['trim'];
  trimValue: number;
  width: number;
  data: string | string[];
}

/**
 * Builds the envelopes of `payloads` (already encoded) and the `vqSend` arguments that write them.
 * Every message of a call shares `createdAt`, headers and expiry, so the header JSON is built once.
 * Stream messages go as their field arrays (ioredis flattens them), so no big array is copied.
 * @internal
 */
export function buildSendCall(
  settings: SendCallSettings,
  payloads: readonly string[],
  options: CheckedSendOptions,
  createdAt: number,
): SendCall {
  if (options.orderingKey !== undefined) return buildOrderedCall(settings, payloads, options, createdAt);
  const delayed = options.delay !== undefined || options.dueAt !== undefined;
  const mode: SendMode = delayed ? 'delayed' : settings.transport;
  const envelopes = newEnvelopes(settings, payloads, options, createdAt);
  const data: (string | string[])[] = new Array<string | string[]>(payloads.length);
  for (let index = 0; index < envelopes.length; index++) {
    data[index] = encodeForMode(mode, settings, envelopes[index]);
  }

  const first = envelopes[0].id;
  const { keys } = settings;
  const dedupTtl = options.dedupKey === undefined ? 0 : (options.dedupTtl ?? settings.dedupTtl);
  // Also with a dedup key: that key alone makes a retry a no-op only while it lives, and a dedupTtl
  // shorter than the call's retries (or another sender taking the key after it expired) would let
  // a retry append again, or report someone else's id. 0 when the sender never retries.
  const markerTtl = settings.idempotencyWindow;
  // A raised priority has its own key; a delayed one is routed there when it is promoted.
  const target =
    options.priority === undefined ? settings.target : priorityKey(settings.target, options.priority);
  const width = mode === 'stream' ? (data[0] as string[]).length : mode === 'list' ? 1 : 2;
  const args: (string | number | string[])[] = [
    target,
    keys.delayed,
    keys.delayedBodies,
    keys.sent(first),
    dedupTtl > 0 ? keys.dedup(options.dedupKey as string) : keys.sent(first),
    mode,
    markerTtl,
    dedupTtl,
    first,
    mode === 'stream' ? settings.trim : '',
    settings.trimValue,
    options.dueAt ?? '',
    options.delay ?? '',
    width,
    0, // a first attempt: see RETRY_FLAG
  ];
  for (const item of data) args.push(item);
  const { queue } = settings;
  if (mode === 'delayed' || dedupTtl > 0 || payloads.length !== 1) return { queue, mode, envelopes, args };
  const trim = mode === 'stream' ? settings.trim : '';
  const plain =
    mode === 'stream' && trim === ''
      ? newPlainSend(target, keys, envelopes[0].id, data[0] as string[], markerTtl > 0)
      : undefined;
  const shareable: ShareableSend = {
    target,
    mode,
    marker: keys.sent(first),
    markerTtl,
    trim,
    trimValue: settings.trimValue,
    width,
    data: data[0],
  };
  return { queue, mode, envelopes, args, shareable, plain };
}

/** Where send.lua's ARGV[10] sits in `SendCall.args`: 0 on a first attempt, 1 on a retry. */
const RETRY_FLAG = 14;

/**
 * Turns `call` into its retry. send.lua checks the idempotency marker on every attempt, first ones
 * included: ioredis resends a command left unanswered by a dropped connection as it was, so a first
 * attempt can run twice.
 * @internal
 */
export function markAsRetry(call: SendCall): void {
  call.args[RETRY_FLAG] = 1;
}

/** True once `markAsRetry` ran: an earlier attempt of `call` may have written. @internal */
export function isRetry(call: SendCall): boolean {
  return call.args[RETRY_FLAG] === 1;
}

/** Sends that can share one send-many.lua call: same target and settings. @internal */
export function shareGroup(send: ShareableSend): string {
  return `${send.target}\n${send.mode}\n${send.markerTtl}\n${send.trim}\n${send.trimValue}\n${send.width}`;
}

function encodeForMode(mode: SendMode, settings: SendCallSettings, envelope: Envelope): string | string[] {
  if (mode === 'stream') return toStreamFields(envelope);
  if (mode === 'list') return encodeListElement(settings, envelope);
  // Delayed: [id, body], the body being what the promoter appends when it is due.
  const body =
    settings.transport === 'list'
      ? encodeListElement(settings, envelope)
      : encodeDelayedBody(toStreamFields(envelope));
  return [envelope.id, body];
}

function encodeListElement(settings: SendCallSettings, envelope: Envelope): string {
  return settings.listFormat === 'valkeysender'
    ? toValkeysenderElement(envelope, settings.queue)
    : toListElement(envelope);
}
