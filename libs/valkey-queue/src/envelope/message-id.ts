import { v7 as uuidv7 } from 'uuid';

/**
 * A new envelope id: a UUIDv7, so ids sort by creation time and carry it (RFC 9562). The same id
 * follows a message through sends, retries, dead letters and redrives.
 */
export const newMessageId = (): string => uuidv7();
