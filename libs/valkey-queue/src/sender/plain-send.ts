import { Cluster, Command } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { SendFailedError } from '../errors/send-failed.error.js';
import type { QueueKeys } from '../utils/keys.util.js';

/**
 * A single send written as a bare `XADD key * <fields>`: one server command, no script and no
 * idempotency marker. Its retry after a lost reply runs send-retry.lua, which appends only when the
 * envelope id is not among the entries added since the first attempt (docs/guarantees.md, "Single
 * sends"). Only for a stream send without dedup key, delay, ordering key or trimming, on a module
 * without history (send.lua handles all of those).
 * @internal
 */
export interface PlainSend {
  /** XADD's arguments: the stream, `*`, then the envelope's field/value pairs. */
  readonly xadd: string[];
  readonly id: string;
  readonly keys: QueueKeys;
  /** False when the sender keeps no idempotency window: a retry then appends again, as send.lua would. */
  readonly exactlyOnce: boolean;
  /** `performance.now()` just before the bare XADD was written; unset until then. */
  writtenAt?: number;
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

/** @internal */
export function newPlainSend(
  target: string,
  keys: QueueKeys,
  id: string,
  fields: readonly string[],
  exactlyOnce: boolean,
): PlainSend {
  const xadd = new Array<string>(fields.length + 2);
  xadd[0] = target;
  xadd[1] = '*';
  for (let index = 0; index < fields.length; index++) xadd[index + 2] = fields[index];
  return { xadd, id, keys, exactlyOnce };
}

/** Writes the bare XADD at once (no auto-pipelining tick on a standalone client); resolves the entry id. */
export function writePlainSend(client: ValkeyClient, send: PlainSend): Promise<string> {
  send.writtenAt = performance.now();
  if (client instanceof Cluster)
    return client.xadd(...(send.xadd as [string, string, ...string[]])) as Promise<string>;
  const { keyPrefix } = client.options as { keyPrefix?: string };
  const command = new Command('xadd', send.xadd, { replyEncoding: 'utf8', keyPrefix });
  void client.sendCommand(command);
  return command.promise as Promise<string>;
}

/**
 * The retry of a bare XADD whose outcome is unknown. Resolves true when it appended now, false
 * when the first attempt had landed; rejects with an ambiguous `SendFailedError` when an entry
 * added since the first attempt was deleted before the check (it could have been this one).
 */
export async function retryPlainSend(client: ValkeyClient, send: PlainSend, queue: string): Promise<boolean> {
  if (!send.exactlyOnce) {
    await writePlainSend(client, send);
    return true;
  }
  const writtenAt = send.writtenAt ?? performance.now();
  const [stream, , ...fields] = send.xadd;
  let cursor = '';
  for (;;) {
    const window = Math.ceil(performance.now() - writtenAt) + RETRY_MARGIN_MS;
    const reply = await client.vqSendRetry(
      stream,
      send.keys.done(send.id),
      send.keys.delayed,
      send.id,
      window,
      cursor,
      RETRY_SCAN_BUDGET,
      window > SEND_RETRY_HORIZON_MS ? 1 : 0,
      ...fields,
    );
    if (reply[0] === 0) return true;
    if (reply[0] === 2) return false;
    if (reply[0] === 3) {
      throw new SendFailedError(
        queue,
        true,
        'the reply of the first attempt was lost, and an entry added since was deleted before the ' +
          'retry could tell whether it was this message; nothing was written again',
      );
    }
    cursor = reply[1];
  }
}
