import type { AckItem } from '../message-source.interface.js';

/** The envelope fields ack.lua's `succeeded` history event carries (fragments/history-event.lua). */
const EVENT_FIELDS: ReadonlySet<string> = new Set(['id', 'attempt', 'labels', 'priority']);

/**
 * The entry arguments of ack.lua. Without history: the stream entry ids. With history: per entry,
 * its id, then the count and values of its `succeeded` event fields as read (name/value pairs), so
 * the script need not read the entry again; -1 when they are not at hand or not the stored bytes
 * (an entry that is not UTF-8 text), and the script reads them itself. @internal
 */
export function ackEntryArgs(items: readonly AckItem[], history: boolean): string[] {
  if (!history) return items.map((item) => item.entryId);
  const args: string[] = [];
  for (const item of items) {
    const raw = item.raw;
    if (!raw || raw.invalid !== undefined) {
      args.push(item.entryId, '-1');
      continue;
    }
    const countAt = args.push(item.entryId, '0') - 1;
    const { fields } = raw;
    for (let j = 0; j + 1 < fields.length; j += 2) {
      if (EVENT_FIELDS.has(fields[j])) args.push(fields[j], fields[j + 1]);
    }
    args[countAt] = String(args.length - countAt - 1);
  }
  return args;
}
