import type { TestingModule } from '@nestjs/testing';
import type { ValkeyClient } from 'nestjs-valkey-queue';
import { bootWorkers, clientOf } from '../workers/worker-test-kit.js';

/** The module a suite booted once, its shared command client, and the keys of the current test. */
export interface QueueModuleState<Keys> {
  moduleRef: TestingModule;
  client: ValkeyClient;
  keys: Keys;
}

/**
 * Boots the queue module (no workers) once per suite and closes it after; before each test, sets
 * `keys` to what `freshKeys` returns (it may seed them through the client). Returns the state object
 * the hooks fill in, since the module exists only once `beforeAll` has run.
 */
export function useQueueModule<Keys>(
  url: () => string,
  freshKeys: (client: ValkeyClient) => Keys | Promise<Keys>,
): QueueModuleState<Keys> {
  const state = {} as QueueModuleState<Keys>;
  beforeAll(async () => {
    state.moduleRef = await bootWorkers(url(), []);
    state.client = clientOf(state.moduleRef);
  });
  afterAll(async () => state.moduleRef.close());
  beforeEach(async () => {
    state.keys = await freshKeys(state.client);
  });
  return state;
}
