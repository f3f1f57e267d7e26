import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { ENVELOPE_VERSION, toListElement, toStreamFields, type Envelope } from '../envelope/envelope.js';
import { newMessageId } from '../envelope/message-id.js';
import { priorityKey } from '../envelope/priority.js';
import { toValkeysenderElement } from '../envelope/valkeysender-format.js';
import type { QueueKeys } from '../utils/keys.util.js';
import { buildOrderedCall } from './ordered-send.js';
import { newEnvelopes } from './send-envelopes.js';
import { envelopeXaddHead, newPlainSend, type PlainSend } from './plain-send.js';
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
  if (payloads.length === 1 && isPlainSingle(settings, options)) {
    return new PlainSingleCall(settings, payloads[0], options, createdAt);
  }
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
  const args = scriptArgs(target, keys, first, mode, markerTtl, dedupTtl, settings, options, width);
  if (dedupTtl > 0) args[4] = keys.dedup(options.dedupKey as string);
  for (const item of data) args.push(item);
  const { queue } = settings;
  if (mode === 'delayed' || dedupTtl > 0 || payloads.length !== 1) return { queue, mode, envelopes, args };
  const trim = mode === 'stream' ? settings.trim : '';
  const plain =
    mode === 'stream' && trim === ''
      ? newPlainSend(target, keys, envelopes[0].id, data[0] as string[], markerTtl > 0)
      : undefined;
  const shareable = shareableSend(target, mode, keys, first, settings, width, data[0]);
  return { queue, mode, envelopes, args, shareable, plain };
}

/** `vqSend`'s 5 keys and 10 settings (the marker key in the dedup slot: the caller sets a dedup key). */
function scriptArgs(
  target: string,
  keys: QueueKeys,
  first: string,
  mode: SendMode,
  markerTtl: number,
  dedupTtl: number,
  settings: SendCallSettings,
  options: CheckedSendOptions,
  width: number,
): (string | number | string[])[] {
  const marker = keys.sent(first);
  return [
    target,
    keys.delayed,
    keys.delayedBodies,
    marker,
    marker,
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
}

function shareableSend(
  target: string,
  mode: 'stream' | 'list',
  keys: QueueKeys,
  first: string,
  settings: SendCallSettings,
  width: number,
  data: string | string[],
): ShareableSend {
  return {
    target,
    mode,
    marker: keys.sent(first),
    markerTtl: settings.idempotencyWindow,
    trim: mode === 'stream' ? settings.trim : '',
    trimValue: settings.trimValue,
    width,
    data,
  };
}

/**
 * A send of one message that only the envelope's required fields describe, to a stream without
 * trimming: it goes out as a bare XADD (plain-send.ts) whenever nothing else is in flight. Its XADD
 * arguments are built directly; the script arguments and the send-many form, needed only when it
 * goes another way (concurrent sends, a retry after another way), are built on first use.
 */
function isPlainSingle(settings: SendCallSettings, options: CheckedSendOptions): boolean {
  return (
    settings.transport === 'stream' &&
    settings.trim === '' &&
    settings.ttl === undefined &&
    options.delay === undefined &&
    options.dueAt === undefined &&
    options.ttl === undefined &&
    options.dedupKey === undefined &&
    options.priority === undefined &&
    options.labels === undefined
  );
}

/** JSON of a target's shared (frozen) default headers, written by every send without own headers. */
const sharedHeadersJson = new WeakMap<Record<string, string>, string>();

function headersJson(headers: Record<string, string>, shared: boolean): string {
  if (!shared) return JSON.stringify(headers);
  let json = sharedHeadersJson.get(headers);
  if (json === undefined) {
    json = JSON.stringify(headers);
    sharedHeadersJson.set(headers, json);
  }
  return json;
}

/** The RESP head of a target's plain XADDs (see plain-send.ts), built once per target. */
const envelopeHeads = new WeakMap<SendCallSettings, string>();

function envelopeHeadOf(settings: SendCallSettings): string {
  let head = envelopeHeads.get(settings);
  if (head === undefined) {
    head = envelopeXaddHead(settings.target, ENVELOPE_VERSION);
    envelopeHeads.set(settings, head);
  }
  return head;
}

/** See `isPlainSingle`. */
class PlainSingleCall implements SendCall {
  readonly queue: string;
  readonly mode = 'stream' as const;
  readonly envelopes: Envelope[];
  readonly plain: PlainSend;
  private builtArgs: (string | number | string[])[] | undefined;
  private builtShareable: ShareableSend | undefined;

  constructor(
    private readonly settings: SendCallSettings,
    payload: string,
    options: CheckedSendOptions,
    createdAt: number,
  ) {
    this.queue = settings.queue;
    const own = options.headers;
    const headers = own ? { ...settings.headers, ...own } : settings.headers;
    const id = newMessageId();
    this.envelopes = [{ id, payload, headers, createdAt, attempt: 1 }];
    // toStreamFields of that envelope, after XADD's key and id (build-send-call.spec.ts holds them equal)
    const xadd = [
      settings.target,
      '*',
      'v',
      ENVELOPE_VERSION,
      'id',
      id,
      'payload',
      payload,
      'headers',
      headersJson(headers, own === undefined),
      'createdAt',
      String(createdAt),
      'attempt',
      '1',
    ];
    this.plain = {
      xadd,
      id,
      keys: settings.keys,
      exactlyOnce: settings.idempotencyWindow > 0,
      envelopeHead: id.length === 36 ? envelopeHeadOf(settings) : undefined,
    };
  }

  /** Whether `args` was read (a retry marks it). */
  get argsBuilt(): boolean {
    return this.builtArgs !== undefined;
  }

  get args(): (string | number | string[])[] {
    if (this.builtArgs) return this.builtArgs;
    const { settings } = this;
    const fields = this.plain.xadd.slice(2);
    const args = scriptArgs(
      settings.target,
      settings.keys,
      this.plain.id,
      'stream',
      settings.idempotencyWindow,
      0,
      settings,
      {},
      fields.length,
    );
    args.push(fields);
    return (this.builtArgs = args);
  }

  get shareable(): ShareableSend {
    if (this.builtShareable) return this.builtShareable;
    const { settings } = this;
    const fields = this.plain.xadd.slice(2);
    return (this.builtShareable = shareableSend(
      settings.target,
      'stream',
      settings.keys,
      this.plain.id,
      settings,
      fields.length,
      fields,
    ));
  }
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
  // A plain single call builds its script arguments on first use: unbuilt, it was never marked.
  if (call instanceof PlainSingleCall && !call.argsBuilt) return false;
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
