import { Command, type Redis } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import { LUA_SCRIPTS } from '../lua/lua-scripts.js';
import { DeadlineQueues, type DeadlineEntry } from './deadline-queue.js';
import type { QueueKeys } from '../utils/keys.util.js';

/**
 * A single send written as a bare `XADD key * <fields>`: one server command, no script and no
 * idempotency marker. Its retry after a lost reply runs send-retry.lua, which appends only when the
 * envelope id is not among the entries added since the first attempt (docs/guarantees.md, "Single
 * sends"). Only for a stream send without dedup key, delay, ordering key or trimming, on a
 * standalone client of a module without history (send.lua handles all of those).
 * @internal
 */
export interface PlainSend {
  /** XADD's arguments: the stream, `*`, then the envelope's field/value pairs. */
  readonly xadd: string[];
  readonly id: string;
  readonly keys: QueueKeys;
  /** False when the sender keeps no idempotency window: a retry then appends again, as send.lua would. */
  readonly exactlyOnce: boolean;
  /** `performance.now()` just before the bare XADD was handed to the client; unset until then. */
  writtenAt?: number;
  /**
   * Set when `xadd` holds exactly an envelope's required fields (`v id payload headers createdAt
   * attempt`, attempt 1): the RESP of the command up to the id, shared by the target's sends.
   */
  readonly envelopeHead?: string;
}

/**
 * `envelopeHead` for `target`: the RESP ioredis writes for `XADD target * v 1 id` up to the id's
 * length (a UUID: 36 bytes).
 */
export function envelopeXaddHead(target: string, version: string): string {
  return (
    `*15\r\n$4\r\nxadd\r\n$${Buffer.byteLength(target)}\r\n${target}\r\n$1\r\n*\r\n` +
    `$1\r\nv\r\n$${Buffer.byteLength(version)}\r\n${version}\r\n$2\r\nid\r\n$36\r\n`
  );
}

/**
 * The RESP of a plain send's XADD, the same bytes as ioredis' `Command.toWritable` (a spec holds
 * them equal), from its prepared head: only the id, payload, headers and time are per send.
 * Undefined when the send has no prepared head.
 * @internal
 */
export function encodePlainXadd(send: PlainSend): string | undefined {
  const head = send.envelopeHead;
  if (head === undefined) return undefined;
  const { xadd } = send;
  const payload = xadd[7];
  const headers = xadd[9];
  const createdAt = xadd[11]; // decimal digits: one byte each
  return (
    head +
    xadd[5] +
    '\r\n$7\r\npayload\r\n$' +
    Buffer.byteLength(payload) +
    '\r\n' +
    payload +
    '\r\n$7\r\nheaders\r\n$' +
    Buffer.byteLength(headers) +
    '\r\n' +
    headers +
    '\r\n$9\r\ncreatedAt\r\n$' +
    createdAt.length +
    '\r\n' +
    createdAt +
    '\r\n$7\r\nattempt\r\n$1\r\n1\r\n'
  );
}

/** How far before the first attempt a retry looks, beyond the time elapsed since: clock drift. */
export const RETRY_MARGIN_MS = 1_000;
/**
 * How long trim-acked.lua keeps acknowledged entries, so a retry finds a message a worker already
 * handled. A retry later than this after its first attempt (a send `timeout` above it) may find the
 * window trimmed: send-retry.lua then writes nothing and the send fails as ambiguous.
 */
export const SEND_RETRY_HORIZON_MS = 15_000;
/** Most stream entries one send-retry.lua call reads. */
const RETRY_SCAN_BUDGET = 1_000;

/** A plain send's outcome in send.lua's reply shape (send-script.ts `SendReply`): written, or found. */
export type PlainReply = [0, number, number] | [2];
/** Written now: XADD's entry id, or a resend that appended. */
const WRITTEN: PlainReply = [0, 1, -1];
/** A resend found the entry the first write had added. */
const ALREADY_WRITTEN: PlainReply = [2];
const NO_ARGS: never[] = [];

/** @internal */
export function newPlainSend(
  target: string,
  keys: QueueKeys,
  id: string,
  fields: readonly string[],
  exactlyOnce: boolean,
): PlainSend {
  // Packed, not `new Array(n)`: ioredis copies the arguments with `flat()`, slow on a holey array.
  const xadd = [target, '*'];
  for (let index = 0; index < fields.length; index++) xadd.push(fields[index]);
  return { xadd, id, keys, exactlyOnce };
}

/** send-retry.lua's arguments after its 3 keys, for a retry `elapsedMs` after the first attempt. */
function retryArgs(send: PlainSend, elapsedMs: number, cursor: string): (string | number)[] {
  const window = Math.ceil(elapsedMs) + RETRY_MARGIN_MS;
  return [send.id, window, cursor, RETRY_SCAN_BUDGET, window > SEND_RETRY_HORIZON_MS ? 1 : 0];
}

/**
 * The bare XADD of a plain send, which never runs twice blindly. ioredis resends a command left
 * unanswered by a dropped connection exactly as it was (`autoResendUnfulfilledCommands`, on by
 * default and needed by every other command of the connection), so a written XADD could be appended
 * twice. Every write of a command goes through `toWritable`: the first writes the XADD, any later
 * one (a resend after a reconnect) writes send-retry.lua instead, in the XADD's place in the
 * connection's order, so the message is appended only if the XADD never ran. A command never
 * written (queued while disconnected) goes out as the XADD. Nothing waits on a socket event, and
 * the command settles the way every command of the connection does (no hang, no extra timer).
 */
class PlainXadd extends Command {
  /** Serialized onto a socket once: any later write is a resend. */
  private written = false;
  private resent = false;
  /** The client's `commandTimeout`, once armed (see `setTimeout`). */
  private commandTimeout: DeadlineEntry<PlainXadd> | undefined;
  private commandTimeoutMs = 0;
  private settled = false;

  constructor(
    private readonly client: Redis,
    private readonly send: PlainSend,
    private readonly queue: string,
    private readonly keyPrefix: string,
    /** Told once, as the command settles (before its promise's reactions run). */
    private readonly onSettled: () => void,
  ) {
    // Without a key prefix the arguments are final strings: no flat() copy and check per send.
    super('xadd', keyPrefix ? send.xadd : NO_ARGS, { replyEncoding: 'utf8', keyPrefix });
    if (!keyPrefix) this.args = send.xadd;
  }

  /** XADD's entry id means written; nothing reads the id (the envelope id is the message's). */
  override transformReply(result: Buffer | Buffer[]): ReturnType<Command['transformReply']> {
    if (this.name !== 'xadd') return super.transformReply(result);
    return WRITTEN as unknown as ReturnType<Command['transformReply']>; // what `promise` resolves
  }

  /**
   * ioredis arms the client's `commandTimeout` here with a Node timer per command, cleared in
   * `_clearTimers` when the command settles. Same rule, on the shared queue of that duration: armed
   * once, and on expiry an unsettled command fails with ioredis' own error.
   */
  override setTimeout(ms: number): void {
    if (this.commandTimeout) return;
    this.commandTimeoutMs = ms;
    this.commandTimeout = commandTimeouts.add(ms, this);
  }

  /**
   * Cancels the `commandTimeout` and reports the settling, once: ioredis calls this whenever the
   * command resolves or rejects (see below), again for a reply that comes after a timeout.
   */
  commandSettled(): void {
    const entry = this.commandTimeout;
    if (entry) commandTimeouts.cancel(this.commandTimeoutMs, entry);
    if (this.settled) return;
    this.settled = true;
    this.onSettled();
  }

  override toWritable(socket: object): string | Buffer {
    if (this.written && this.send.exactlyOnce) this.asRetry();
    else if (!this.written && !this.keyPrefix) {
      this.written = true;
      const prepared = encodePlainXadd(this.send);
      if (prepared !== undefined) return prepared;
    }
    this.written = true;
    return super.toWritable(socket);
  }

  /** Rewrites the command as send-retry.lua, its window counted from now (each resend again). */
  private asRetry(): void {
    const { send, keyPrefix } = this;
    const fieldCount = send.xadd.length - 2;
    const args = new Array<string>(10 + fieldCount);
    // EVAL, not EVALSHA: the server may be a restarted or failed-over one, without the script.
    args[0] = LUA_SCRIPTS.vqSendRetry.lua;
    args[1] = '3';
    args[2] = keyPrefix + send.xadd[0];
    args[3] = keyPrefix + send.keys.done(send.id);
    args[4] = keyPrefix + send.keys.delayed;
    const rest = retryArgs(send, performance.now() - send.writtenAt!, '');
    for (let index = 0; index < rest.length; index++) args[5 + index] = String(rest[index]);
    for (let index = 0; index < fieldCount; index++) args[10 + index] = send.xadd[index + 2];
    this.name = 'eval';
    this.args = args;
    if (this.resent) return;
    this.resent = true;
    const settle = this.resolve;
    const fail = this.reject;
    // send-retry.lua answers [0] appended, [2] found, [3] unknown, [4, cursor] go on.
    this.resolve = (reply: unknown): void => {
      const [status, cursor] = this.transformReply(reply as Buffer) as [number, string?];
      if (status === 0 || status === 2) settle(status === 0 ? WRITTEN : ALREADY_WRITTEN);
      else if (status === 3) fail(ambiguousRetry(this.queue));
      else
        retryPlainSend(this.client, send, this.queue, cursor).then(
          (appended) => settle(appended ? WRITTEN : ALREADY_WRITTEN),
          fail,
        );
    };
  }
}

// ioredis clears a command's timers in `_clearTimers` (private in its types) on every resolve and
// reject; a bare XADD has no ioredis timer (see `setTimeout`), only its queued `commandTimeout`.
Object.defineProperty(PlainXadd.prototype, '_clearTimers', {
  value(this: PlainXadd): void {
    this.commandSettled();
  },
});

/** Pending `commandTimeout`s of bare XADDs, one timer per duration (see DeadlineQueue). */
const commandTimeouts = new DeadlineQueues<PlainXadd>((command) => {
  if (!command.isSettled) command.reject(new Error('Command timed out'));
});

/**
 * Writes the bare XADD at once (no auto-pipelining tick). Resolves send.lua's "written" reply, or
 * "already written" when a resend after a reconnect ran as send-retry.lua and found the entry;
 * `onSettled` runs once, as the command settles either way.
 */
export function writePlainSend(
  client: Redis,
  send: PlainSend,
  queue: string,
  onSettled: () => void,
): Promise<PlainReply> {
  const { keyPrefix } = client.options;
  const command = new PlainXadd(client, send, queue, keyPrefix ?? '', onSettled);
  send.writtenAt = performance.now();
  void client.sendCommand(command);
  return command.promise as Promise<PlainReply>;
}

function ambiguousRetry(queue: string): SendFailedError {
  return new SendFailedError(
    queue,
    true,
    'the reply of the first attempt was lost, and an entry added since was deleted before the ' +
      'retry could tell whether it was this message; nothing was written again',
  );
}

/**
 * The retry of a bare XADD whose outcome is unknown. Resolves true when it appended now, false
 * when the first attempt had landed; rejects with an ambiguous `SendFailedError` when an entry
 * added since the first attempt was deleted before the check (it could have been this one).
 */
export async function retryPlainSend(
  client: ValkeyClient,
  send: PlainSend,
  queue: string,
  cursor = '',
): Promise<boolean> {
  const writtenAt = send.writtenAt ?? performance.now();
  const [stream, , ...fields] = send.xadd;
  if (!send.exactlyOnce) {
    await client.xadd(stream, '*', ...fields);
    return true;
  }
  for (;;) {
    const reply = await client.vqSendRetry(
      stream,
      send.keys.done(send.id),
      send.keys.delayed,
      ...retryArgs(send, performance.now() - writtenAt, cursor),
      ...fields,
    );
    if (reply[0] === 0) return true;
    if (reply[0] === 2) return false;
    if (reply[0] === 3) throw ambiguousRetry(queue);
    cursor = reply[1];
  }
}
