import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { ValkeyConnection } from '../connection/valkey-connection.js';
import { errorMessage } from '../utils/with-timeout.util.js';

/** Which channel a node publishes lease expiries on (see keyspace-flags.ts). */
export type KeyspaceChannel = 'keyspace' | 'keyevent';

/** How to prepare one primary and listen on a subscriber connected to it (ExpiryWatcher's own steps). */
export interface NodeSetup {
  /** Adds the flags lease notifications need to the node's `notify-keyspace-events`. */
  configure(node: Redis): Promise<KeyspaceChannel>;
  /** Subscribes `subscriber` to the hand-back channel and the node's expiry notifications. */
  listen(subscriber: Redis, channel: KeyspaceChannel): Promise<void>;
}

const nodeKey = (node: Redis): string => `${node.options.host}:${node.options.port}`;

/**
 * Keyspace notifications on Valkey Cluster are node-local: a lease key's expiry is published only by
 * the primary that serves its slot, and CONFIG SET is not replicated. So every primary gets its
 * `notify-keyspace-events` flags and a subscriber of its own. The set follows the topology: it is
 * re-synced after every slot refresh of the Cluster client (failover, resharding, MOVED) and at every
 * sweep, subscribing on new primaries (a promoted replica is configured first) and dropping nodes that
 * no longer are. The sweeper stays the fallback for whatever is missed meanwhile.
 * @internal
 */
export class ClusterKeyspaceListeners {
  private readonly subscribers = new Map<string, Redis>();
  private syncing?: Promise<void>;
  private syncAgain = false;
  private failing = false;
  private stopped = false;
  private readonly onRefresh = (): void => this.requestSync();

  constructor(
    private readonly cluster: Cluster,
    private readonly connection: ValkeyConnection,
    private readonly setup: NodeSetup,
    private readonly logger: Logger,
  ) {
    cluster.on('refresh', this.onRefresh);
  }

  /** Primaries with a live subscription (for tests and logs). */
  get covered(): string[] {
    return [...this.subscribers.keys()];
  }

  /** Covers every current primary. Rejects when one could not be covered (the others still are). */
  sync(): Promise<void> {
    if (this.syncing) {
      this.syncAgain = true; // the topology may have changed while the running sync read it
      return this.syncing;
    }
    this.syncing = this.run().finally(() => {
      this.syncing = undefined;
      if (this.syncAgain && !this.stopped) {
        this.syncAgain = false;
        this.requestSync();
      }
    });
    return this.syncing;
  }

  /** A sync in the background; a failure is logged once per episode (the sweeper covers the gap). */
  requestSync(): void {
    if (this.stopped) return;
    this.sync().then(
      () => {
        if (this.failing) this.logger.log('Lease notifications cover every primary again');
        this.failing = false;
      },
      (error: unknown) => {
        if (this.failing || this.stopped) return;
        this.failing = true;
        this.logger.warn(
          `Cannot subscribe to lease notifications on every primary (${errorMessage(error)}): retrying at ` +
            'the next sweep or topology change; meanwhile the sweeper finds lapsed leases',
        );
      },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cluster.off('refresh', this.onRefresh);
    await this.syncing?.catch(() => undefined);
    const subscribers = [...this.subscribers.values()];
    this.subscribers.clear();
    await Promise.all(
      subscribers.map((subscriber) => this.connection.release(subscriber).catch(() => undefined)),
    );
  }

  private async run(): Promise<void> {
    const primaries = new Map(this.cluster.nodes('master').map((node) => [nodeKey(node), node]));
    for (const [key, subscriber] of this.subscribers) {
      if (primaries.has(key)) continue;
      this.subscribers.delete(key);
      await this.connection.release(subscriber).catch(() => undefined);
    }
    const missing = [...primaries].filter(([key]) => !this.subscribers.has(key));
    const results = await Promise.allSettled(missing.map(([key, node]) => this.add(key, node)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async add(key: string, node: Redis): Promise<void> {
    const channel = await this.setup.configure(node);
    const subscriber = await this.connection.createNodeConnection(node, 'ownership-events');
    try {
      await this.setup.listen(subscriber, channel);
    } catch (error) {
      await this.connection.release(subscriber).catch(() => undefined);
      throw error;
    }
    if (this.stopped || this.subscribers.has(key)) {
      await this.connection.release(subscriber).catch(() => undefined);
      return;
    }
    this.subscribers.set(key, subscriber);
  }
}
