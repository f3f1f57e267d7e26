import type { ValkeyClient } from '../connection/create-client.js';

/**
 * Publishes a wake-up signal (see QueueSignals). Best effort: a signal is only a hint, and a server
 * or ACL that refuses `PUBLISH` must not fail the change it announces, so errors are swallowed;
 * listeners that miss it notice the change at their next re-check. @internal
 */
export async function announce(client: ValkeyClient, channel: string, message: string): Promise<void> {
  await client.publish(channel, message).catch(() => undefined);
}
