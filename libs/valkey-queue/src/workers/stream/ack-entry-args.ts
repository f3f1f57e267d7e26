import { MANY_EVENT_FIELDS } from '../../lua/history-many-event.js';
import type { AckItem } from '../message-source.interface.js';

/** The envelope fields of a `succeeded` event, in the order of a `many` list's arrays. */
const SUCCEEDED_FIELDS: readonly string[] = MANY_EVENT_FIELDS;

/**
 * The entry arguments of ack.lua. Without history: the stream entry ids. With history: the
 * `succeeded` events of the entries read as text, as one `many` list (a JSON array of
 * [id, attempt, labels, priority] as read, lua/fragments/history-event.lua), so the script need not
 * read those entries again nor handle their fields one by one; then how many entries the script
 * must read itself (their fields not at hand, or not the stored bytes: an entry that is not UTF-8
 * text), then the entry ids, those first. @internal
 */
export function ackEntryArgs(items: readonly AckItem[], history: boolean): string[] {
  if (!history) return items.map((item) => item.entryId);
  const succeeded: string[][] = [];
  const toRead: string[] = [];
  const known: string[] = [];
  for (const item of items) {
    const raw = item.raw;
    if (!raw || raw.invalid !== undefined) {
      toRead.push(item.entryId);
      continue;
    }
    known.push(item.entryId);
    const event = ['', '', '', ''];
    const { fields } = raw;
    for (let j = 0; j + 1 < fields.length; j += 2) {
      const at = SUCCEEDED_FIELDS.indexOf(fields[j]);
      if (at >= 0) event[at] = fields[j + 1];
    }
    succeeded.push(event);
  }
  return [succeeded.length > 0 ? JSON.stringify(succeeded) : '', String(toRead.length), ...toRead, ...known];
}
