import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueKeys } from '../utils/keys.util.js';

/**
 * The per-queue flags a consumer reads whatever its transport: the pause flag and the idempotency
 * markers. Both are plain keys of the queue's hash tag (docs/key-layout.md). @internal
 */
export class QueueFlags {
  constructor(
    private readonly client: () => ValkeyClient,
    private readonly keys: QueueKeys,
  ) {}

  /** Whether the queue is paused for every instance (`QueueAdmin.pause`). */
  async isPaused(): Promise<boolean> {
    return (await this.client().exists(this.keys.paused)) > 0;
  }

  /** For each envelope id: was it processed already (idempotency marker present)? '' never was. */
  async processedMarks(ids: readonly string[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    const values = await this.client().mget(ids.map((id) => this.keys.done(id || '-')));
    return values.map((value, index) => value !== null && ids[index] !== '');
  }
}
