import { Redis } from 'ioredis';
import type { ValkeyClient } from '../../connection/create-client.js';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import { defineLuaScripts } from '../../lua/lua-scripts.js';
import type { ListConsumerSettings } from './list-consumer-settings.js';
import { unblockByName } from './unblock-by-name.js';

/**
 * What one read returned: the BLMOVE's element (null on timeout) and list-take.lua's reply, elements
 * as bytes: every later move finds an element by its exact bytes, whatever they are. @internal
 */
export type ListReadReply = [first: Buffer | null, taken: (Buffer | number)[]];

/**
 * The dedicated read connection of a list consumer. A read is `BLMOVE queue → in-flight` followed,
 * on the same connection and in the same write, by list-take.lua: the script waits behind the
 * blocked BLMOVE, then moves the rest of the batch, so a read costs one round trip whether the
 * queue was empty or not. @internal
 */
export class ListReader {
  /** CLIENT SETNAME of the read connection (`vq:` + purpose), unique per worker and process. */
  private readonly name: string;
  private blocking?: ValkeyClient;
  private opening?: Promise<ValkeyClient>;
  private scriptsDefined = false;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly settings: ListConsumerSettings,
  ) {
    // CLIENT SETNAME refuses spaces; ValkeyConnection prefixes the purpose with `vq:`.
    this.name = `vq:list-worker:${settings.queue}:${settings.consumer}`.replace(/\s/g, '_');
  }

  /** Opens the read connection if needed. */
  connect(): Promise<ValkeyClient> {
    if (this.blocking) return Promise.resolve(this.blocking);
    this.opening ??= this.open().finally(() => {
      this.opening = undefined;
    });
    return this.opening;
  }

  async read(count: number, blockMs: number): Promise<ListReadReply> {
    return this.readOn(await this.connect(), count, blockMs);
  }

  /**
   * Writes `before` (an ack) and a read in one write on the read connection; each settles on its
   * own reply, the ack's before the read blocks. Undefined when that is not possible now (Cluster,
   * not connected): the caller sends them apart.
   */
  readAfter(
    before: (client: Redis) => Promise<void>,
    count: number,
    blockMs: number,
  ): { sent: Promise<void>; read: Promise<ListReadReply> } | undefined {
    const client = this.blocking;
    if (!(client instanceof Redis) || client.status !== 'ready' || !this.scriptsDefined) return undefined;
    client.stream.cork();
    const sent = before(client);
    const read = this.readOn(client, count, blockMs);
    process.nextTick(() => client.stream.uncork());
    return { sent, read };
  }

  /** Ends a blocked read (best effort); false when the connection is not connected. */
  async interrupt(commands: ValkeyClient): Promise<boolean> {
    const blocking = this.blocking;
    if (!blocking) return true;
    if (blocking.status !== 'ready') return false; // reconnecting: the read waits in ioredis, not on the server
    await unblockByName(commands, this.name);
    return true;
  }

  /** Releases the read connection; `force` cuts it at once (a QUIT would wait behind a blocked read). */
  async close(force: boolean): Promise<void> {
    const blocking = this.blocking;
    this.blocking = undefined;
    this.scriptsDefined = false;
    if (!blocking) return;
    if (force) blocking.disconnect();
    await this.connection.release(blocking);
  }

  private async readOn(client: ValkeyClient, count: number, blockMs: number): Promise<ListReadReply> {
    const { keys, list, inflight, heartbeat, consumer, heartbeatTtl } = this.settings;
    const first = client.blmoveBuffer(list, inflight, 'RIGHT', 'LEFT', Math.max(1, blockMs) / 1000);
    const rest = client.vqListTakeBuffer(
      list,
      inflight,
      keys.listDeliveries,
      heartbeat,
      keys.listConsumers,
      count - 1,
      '1',
      consumer,
      list,
      heartbeatTtl,
    );
    return Promise.all([first, rest]);
  }

  private async open(): Promise<ValkeyClient> {
    const client = await this.connection.createBlockingConnection(this.name.slice('vq:'.length));
    this.blocking = client;
    // The read connection runs list-take.lua behind each BLMOVE, and acks sent with a read.
    defineLuaScripts(client);
    this.scriptsDefined = true;
    return client;
  }
}
