import type { ValkeyClient } from '../connection/create-client.js';
import { usesHistoryScripts } from '../lua/lua-scripts.js';
import type { QueueKeys } from '../utils/keys.util.js';
import type { RawDelivery } from './message-source.interface.js';

/**
 * Appends a `started` history event per delivered message, with history on (the client runs the
 * history scripts): all of one read's events in one history entry, as one `many` event (one XADD
 * of a few fields, see lua/fragments/history-event.lua), that nobody waits for. Unlike the other
 * events it is not written atomically with a change: a read changes nothing a crash could lose (an unacknowledged
 * delivery is redelivered, and then recorded again), so a missing or repeated `started` is
 * harmless. @internal
 */
export function recordStarted(
  client: ValkeyClient,
  keys: QueueKeys,
  consumer: string,
  deliveries: readonly RawDelivery[],
): void {
  if (deliveries.length === 0 || !usesHistoryScripts(client)) return;
  const stream = `${keys.tag}:history`;
  // One `many` event (format 3, docs/history.md): the messages as one JSON field, not 8 fields each.
  const started: string[][] = [];
  for (const { fields } of deliveries) {
    let id: string | undefined;
    let attempt = '';
    for (let index = 0; index + 1 < fields.length; index += 2) {
      if (fields[index] === 'id') id = fields[index + 1];
      else if (fields[index] === 'attempt') attempt = fields[index + 1];
    }
    if (id) started.push([id, attempt]);
  }
  if (started.length > 0)
    client
      .xadd(stream, '*', 'e', 'started', 'consumer', consumer, 'many', JSON.stringify(started))
      .catch(() => undefined);
}
