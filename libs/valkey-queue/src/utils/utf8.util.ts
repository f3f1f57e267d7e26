import { isUtf8 } from 'node:buffer';

/**
 * Stored bytes as the library reads them. Valkey values are bytes; the library expects UTF-8 text
 * (JSON for payloads and list elements) and treats anything else as a broken message. ioredis
 * decodes replies as UTF-8 and puts U+FFFD in place of invalid bytes, so a decoded string without
 * U+FFFD came from valid UTF-8; one with it is re-read as bytes to tell. @internal
 */

const REPLACEMENT = '\uFFFD';

/** Whether any string holds U+FFFD: decoded from bytes that are not UTF-8, or (rarely) a real U+FFFD. */
export function mayHoldInvalidUtf8(values: readonly string[]): boolean {
  for (let index = 0; index < values.length; index += 1) {
    if (values[index].includes(REPLACEMENT)) return true;
  }
  return false;
}

/** Why stored stream fields are not UTF-8 text; undefined when every name and value is. */
export function invalidUtf8Reason(fields: readonly Buffer[]): string | undefined {
  for (let index = 0; index < fields.length; index += 2) {
    const name = fields[index];
    if (!isUtf8(name)) return 'a field name is not valid UTF-8';
    const value = fields[index + 1];
    if (value !== undefined && !isUtf8(value)) return `field '${name.toString('utf8')}' is not valid UTF-8`;
  }
  return undefined;
}

/** The ids of the entries (`[entryId, fields]`, read as strings) whose fields hold U+FFFD: re-read those as bytes. */
export function suspectEntryIds(
  entries: readonly (readonly [string, readonly string[] | null | undefined, ...unknown[]])[],
): string[] {
  const suspects: string[] = [];
  for (const [entryId, fields] of entries) {
    if (fields && mayHoldInvalidUtf8(fields)) suspects.push(entryId);
  }
  return suspects;
}

/** What re-reading entries as bytes needs of a client (ioredis' `Redis` and `Cluster` have it). */
export interface StreamBytesReader {
  xrangeBuffer(key: string, start: string, end: string): Promise<[Buffer, Buffer[]][]>;
}

/** The entries of `stream` among `entryIds` whose stored fields are not UTF-8 text, with the reason. An entry gone meanwhile is left out. */
export async function invalidUtf8Entries(
  client: StreamBytesReader,
  stream: string,
  entryIds: readonly string[],
): Promise<Map<string, string>> {
  const invalid = new Map<string, string>();
  const stored = await Promise.all(entryIds.map((entryId) => client.xrangeBuffer(stream, entryId, entryId)));
  entryIds.forEach((entryId, index) => {
    const fields = stored[index][0]?.[1];
    const reason = fields && invalidUtf8Reason(fields);
    if (reason) invalid.set(entryId, reason);
  });
  return invalid;
}
