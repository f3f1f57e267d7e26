import { createHash } from 'node:crypto';
import { listElement, listKeysOf } from '../workers/list-test-kit.js';
import { uniqueQueue } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

/** A module whose command client has the library's scripts defined, and fresh list keys per test. */
export const useListScripts = (url: () => string) => useScripts(url, () => listKeysOf(uniqueQueue('lua')));

/** The field of an element in the deliveries hash: its SHA-1, hex. */
export const sha1 = (element: string | Buffer): string =>
  createHash('sha1')
    .update(typeof element === 'string' ? Buffer.from(element, 'utf8') : element)
    .digest('hex');

/** A list element that is not UTF-8 text: a JSON envelope with bytes 0xFF 0xFE inside the payload string. */
export const notUtf8Element = (): Buffer =>
  Buffer.concat([
    Buffer.from('{"v":"1","id":"binary","payload":"\\"'),
    Buffer.from([0xff, 0xfe]),
    Buffer.from('\\"","headers":{},"createdAt":1,"attempt":1}'),
  ]);

/** `n` distinct list elements with payloads '0', '1', ... */
export const elements = (n: number): string[] =>
  Array.from({ length: n }, (_, index) => listElement(String(index)));
