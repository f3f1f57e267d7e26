import { createHash } from 'node:crypto';
import { listElement, listKeysOf } from '../workers/list-test-kit.js';
import { uniqueQueue } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

/** A module whose command client has the library's scripts defined, and fresh list keys per test. */
export const useListScripts = (url: () => string) => useScripts(url, () => listKeysOf(uniqueQueue('lua')));

/** The field of an element in the deliveries hash: its SHA-1, hex. */
export const sha1 = (element: string): string => createHash('sha1').update(element, 'utf8').digest('hex');

/** `n` distinct list elements with payloads '0', '1', ... */
export const elements = (n: number): string[] =>
  Array.from({ length: n }, (_, index) => listElement(String(index)));
