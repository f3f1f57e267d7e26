import { Cluster } from 'ioredis';
import type { ValkeyClient } from './create-client.js';

/**
 * Ends the blocking read (XREADGROUP BLOCK, BLMOVE...) of every connection named `name`, as if it timed
 * out: CLIENT UNBLOCK needs the blocked connection's id on the server that holds it. The id is looked up
 * by name now, not remembered (it changes on every reconnect, and a CLIENT ID sent on the read connection
 * would queue behind the blocked read). On a Cluster the read sits on whichever primary serves the key's
 * slot, so every primary is asked. Sent on `client`, the shared command connection. Best effort: a
 * failure leaves the read to end on its own or to be cut by the caller.
 * @internal
 */
export async function unblockByName(client: ValkeyClient, name: string): Promise<void> {
  const servers = client instanceof Cluster ? client.nodes('master') : [client];
  await Promise.all(
    servers.map(async (server) => {
      try {
        const list = String(await server.call('CLIENT', 'LIST', 'TYPE', 'normal'));
        for (const line of list.split('\n')) {
          if (!line.includes(` name=${name} `)) continue;
          const id = /^id=(\d+) /.exec(line)?.[1];
          if (id) await server.call('CLIENT', 'UNBLOCK', id);
        }
      } catch {
        // best effort (see above)
      }
    }),
  );
}
