import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import type { ValkeyConnection } from '../connection/valkey-connection.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { ClusterKeyspaceListeners } from './cluster-keyspace-listeners.js';
import { escapeGlob, planKeyspaceFlags } from './keyspace-flags.js';
import type { OwnershipStore } from './ownership-store.js';

/** Streams checked per sweeper round trip, and the most a single sweep looks at. */
const SWEEP_PAGE = 100;
const SWEEP_MAX = 10_000;
/** A failed subscription is retried after this, doubling up to the sweep interval. */
const SUBSCRIBE_RETRY_MS = 250;

/**
 * Learns that leases lapsed, and passes the streams to `check` (which reads their state and emits
 * `'expired'`). Three sources, so pub/sub loss can never orphan a stream:
 * - keyspace notifications of expired lease keys, on the connection's actual DB index; the flags
 *   are added to `notify-keyspace-events` (never replacing the existing ones) when CONFIG is allowed;
 * - the hand-back channel, published by hand-back-lease.lua at shutdown;
 * - a sweeper every `sweepInterval`, which reads the assignments whose last lease expiry has passed.
 * On Cluster, notifications are node-local: every primary is configured and subscribed to, following
 * topology changes (ClusterKeyspaceListeners).
 * @internal
 */
export class ExpiryWatcher {
  private readonly logger = new Logger('StreamOwnershipService');
  private readonly leasePrefix: string;
  private subscriber?: ValkeyClient;
  private nodeListeners?: ClusterKeyspaceListeners;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private readonly queued = new Set<string>();
  private flushing?: Promise<void>;
  private sweepFailing = false;
  private subscribing?: Promise<void>;
  private subscribed = false;
  private subscribeFailing = false;
  private subscribeRetry?: NodeJS.Timeout;
  private subscribeRetryMs = SUBSCRIBE_RETRY_MS;
  private stopped = false;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly store: OwnershipStore,
    private readonly sweepInterval: number,
    private readonly check: (streams: string[]) => Promise<void>,
  ) {
    this.leasePrefix = store.keys.lease('');
  }

  /** Sets up notifications (best effort: the sweeper covers every failure) and starts sweeping at once. */
  async start(): Promise<void> {
    await this.trySubscribe();
    this.scheduleSweep(0);
  }

  /**
   * Subscribes once. A failure (server unreachable at startup, a timeout under load) is retried on
   * its own backoff, up to the sweep interval: waiting for the next sweep would leave notifications
   * off for a whole interval after a single failed attempt.
   */
  private trySubscribe(): Promise<void> {
    this.subscribing ??= this.subscribe()
      .then(() => {
        if (this.subscribeFailing) this.logger.log('Subscribed to lease notifications');
        this.subscribed = true;
        this.subscribeFailing = false;
        this.subscribeRetryMs = SUBSCRIBE_RETRY_MS;
      })
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.scheduleSubscribeRetry();
        if (this.subscribeFailing) return;
        this.subscribeFailing = true;
        this.logger.warn(
          `Cannot subscribe to lease notifications (${errorMessage(error)}): retrying; meanwhile lapsed leases ` +
            `are found by the sweeper every ${this.sweepInterval} ms`,
        );
      })
      .finally(() => {
        this.subscribing = undefined;
      });
    return this.subscribing;
  }

  private scheduleSubscribeRetry(): void {
    clearTimeout(this.subscribeRetry);
    const delay = this.subscribeRetryMs;
    this.subscribeRetryMs = Math.min(delay * 2, this.sweepInterval);
    this.subscribeRetry = setTimeout(() => {
      if (!this.stopped && !this.subscribed && !this.subscribing) void this.trySubscribe();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    clearTimeout(this.subscribeRetry);
    const { subscriber } = this;
    this.subscriber = undefined;
    if (subscriber) await this.connection.release(subscriber).catch(() => undefined);
    await Promise.all([this.sweeping, this.flushing, this.subscribing, this.nodeListeners?.stop()]);
  }

  private async subscribe(): Promise<void> {
    const client = this.connection.client;
    if (client instanceof Cluster) {
      this.nodeListeners ??= new ClusterKeyspaceListeners(
        client,
        this.connection,
        {
          configure: (node) => this.configure(node),
          listen: (node, channel) => this.listen(node, channel, 0),
        },
        this.logger,
      );
      return this.nodeListeners.sync();
    }
    const channel = await this.configure(client);
    const db = await this.dbIndex(client);
    const subscriber = await this.connection.createBlockingConnection('ownership-events');
    try {
      await this.listen(subscriber, channel, db);
    } catch (error) {
      await this.connection.release(subscriber).catch(() => undefined);
      throw error;
    }
    if (this.stopped) return void (await this.connection.release(subscriber));
    this.subscriber = subscriber;
  }

  private async listen(subscriber: ValkeyClient, channel: 'keyspace' | 'keyevent' | undefined, db: number) {
    const handBack = this.store.keys.handBackChannel;
    const keyevent = `__keyevent@${db}__:expired`;
    subscriber.on('message', (from: string, message: string) => {
      if (from === handBack) this.enqueue(message);
      else if (from === keyevent && message.startsWith(this.leasePrefix)) {
        this.enqueue(message.slice(this.leasePrefix.length));
      }
    });
    const keyspacePrefix = `__keyspace@${db}__:${this.leasePrefix}`;
    subscriber.on('pmessage', (_pattern: string, from: string, event: string) => {
      if (event === 'expired' && from.startsWith(keyspacePrefix))
        this.enqueue(from.slice(keyspacePrefix.length));
    });
    // Notifications sent while the subscriber was reconnecting are lost: sweep right away.
    let connected = true;
    subscriber.on('close', () => {
      connected = false;
    });
    subscriber.on('ready', () => {
      if (!connected && !this.stopped) this.scheduleSweep(0);
      connected = true;
    });
    await subscriber.subscribe(handBack);
    if (channel === 'keyevent') await subscriber.subscribe(keyevent);
    else if (channel === 'keyspace') await subscriber.psubscribe(`${escapeGlob(keyspacePrefix)}*`);
  }

  /**
   * Adds the flags lease notifications need to `notify-keyspace-events`, keeping the existing ones.
   * Without CONFIG permission it still subscribes (the server may be configured already).
   */
  private async configure(client: Redis): Promise<'keyspace' | 'keyevent'> {
    let current: string;
    try {
      const reply = (await client.config('GET', 'notify-keyspace-events')) as string[];
      current = reply[1] ?? '';
    } catch (error) {
      this.logger.warn(
        `Cannot read notify-keyspace-events (${errorMessage(error)}): subscribing anyway; lapsed leases are ` +
          `also found by the sweeper every ${this.sweepInterval} ms. Set it to include "Kx" on the server.`,
      );
      return 'keyspace';
    }
    const plan = planKeyspaceFlags(current);
    if (plan.update === undefined) return plan.channel;
    try {
      await client.config('SET', 'notify-keyspace-events', plan.update);
      this.logger.log(
        `Set notify-keyspace-events from "${current}" to "${plan.update}" (lease expiry events)`,
      );
    } catch (error) {
      this.logger.warn(
        `Cannot set notify-keyspace-events to "${plan.update}" (${errorMessage(error)}): lapsed leases are found ` +
          `by the sweeper every ${this.sweepInterval} ms`,
      );
    }
    return plan.channel;
  }

  /** The DB index the command connection really uses (CLIENT INFO), else the configured one. */
  private async dbIndex(client: Redis): Promise<number> {
    try {
      const info = String(await client.client('INFO'));
      const match = /(?:^|\s)db=(\d+)/.exec(info);
      if (match) return Number(match[1]);
    } catch {
      // CLIENT INFO needs Redis 6.2+; fall back to the option
    }
    return client.options.db ?? 0;
  }

  /** Batches the streams of notifications arriving together (a crashed owner's leases lapse at once). */
  private enqueue(stream: string): void {
    if (this.stopped || stream.length === 0) return;
    const idle = this.queued.size === 0 && !this.flushing;
    this.queued.add(stream);
    if (idle) this.flushing = new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.queued.size > 0 && !this.stopped) {
      const streams = [...this.queued];
      this.queued.clear();
      await this.check(streams).catch((error: unknown) => {
        this.logger.warn(`Checking lapsed leases failed: ${errorMessage(error)}; the sweeper will retry`);
      });
    }
    this.flushing = undefined;
  }

  private scheduleSweep(delay: number): void {
    if (this.stopped) return;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => {
      if (this.sweeping) return;
      this.sweeping = this.sweep().finally(() => {
        this.sweeping = undefined;
        this.scheduleSweep(this.sweepInterval);
      });
    }, delay);
  }

  private async sweep(): Promise<void> {
    if (!this.subscribed && !this.subscribing) void this.trySubscribe();
    else if (this.subscribed) this.nodeListeners?.requestSync(); // primaries may have changed
    try {
      const now = await this.store.serverTime();
      for (let offset = 0; offset < SWEEP_MAX && !this.stopped; offset += SWEEP_PAGE) {
        const streams = await this.store.lapsedCandidates(now, offset, SWEEP_PAGE);
        if (streams.length > 0) await this.check(streams);
        if (streams.length < SWEEP_PAGE) break;
      }
      if (this.sweepFailing) this.logger.log('Sweeping lapsed leases works again');
      this.sweepFailing = false;
    } catch (error) {
      if (!this.sweepFailing && !this.stopped) {
        this.logger.warn(`Sweeping lapsed leases failed: ${errorMessage(error)}; retrying`);
      }
      this.sweepFailing = true;
    }
  }
}
