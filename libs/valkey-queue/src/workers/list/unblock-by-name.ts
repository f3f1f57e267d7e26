import { Redis } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import { unblockByName as unblockOnEveryPrimary } from '../../connection/unblock-by-name.js';

/**
 * Ends a blocking read (CLIENT UNBLOCK) of the connection named `name`, best effort. The id is
 * looked up by name each time (it changes on every reconnect), from the command connection (a
 * CLIENT ID sent on the blocked connection would queue behind the read).
 * @internal
 */
export async function unblockByName(client: ValkeyClient, name: string): Promise<void> {
  // Cluster: the read sits on the primary of the list's slot; the connection helper asks every primary.
  if (!(client instanceof Redis)) return unblockOnEveryPrimary(client, name);
  try {
    const list = String(await client.call('CLIENT', 'LIST', 'TYPE', 'normal'));
    for (const line of list.split('\n')) {
      if (!line.includes(` name=${name} `)) continue;
      const id = /^id=(\d+) /.exec(line)?.[1];
      if (id) await client.call('CLIENT', 'UNBLOCK', id);
    }
  } catch {
    // best effort: the caller falls back to closing the connection
  }
}
