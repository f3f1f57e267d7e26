import type { TestingModule } from '@nestjs/testing';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { createHash } from 'node:crypto';
import { listElement, listKeysOf } from '../workers/list-test-kit.js';
import { bootWorkers, clientOf, uniqueQueue } from '../workers/worker-test-kit.js';

/** A module whose command client has the library's scripts defined, and fresh list keys per test. */
export function useListScripts(url: () => string) {
  const state = {} as { moduleRef: TestingModule; client: ValkeyClient; keys: ReturnType<typeof listKeysOf> };
  beforeAll(async () => {
    state.moduleRef = await bootWorkers(url(), []);
    state.client = clientOf(state.moduleRef);
  });
  afterAll(async () => state.moduleRef.close());
  beforeEach(() => {
    state.keys = listKeysOf(uniqueQueue('lua'));
  });
  return state;
}

/** The field of an element in the deliveries hash: its SHA-1, hex. */
export const sha1 = (element: string): string => createHash('sha1').update(element, 'utf8').digest('hex');

/** `n` distinct list elements with payloads '0', '1', ... */
export const elements = (n: number): string[] =>
  Array.from({ length: n }, (_, index) => listElement(String(index)));
