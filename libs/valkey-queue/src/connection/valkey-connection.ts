import { Logger, type OnApplicationShutdown, type OnModuleDestroy } from '@nestjs/common';
import { Cluster, type Redis, type RedisOptions } from 'ioredis';
import type { ResolvedConnectionOptions } from '../config/validate-options.js';
import { defineLuaScripts, historyScriptsOf, useHistoryScripts } from '../lua/lua-scripts.js';
import { ConnectionError } from '../errors/connection.error.js';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';
import { backoff, createClient, type ValkeyClient } from './create-client.js';
import { redactCredentials } from '../errors/redact-credentials.js';
import { describeAddress } from './describe-address.js';
import { detectServerCapabilities, type ServerCapabilities } from './server-capabilities.js';

/** How long a polite QUIT may take at shutdown before the socket is simply closed. */
const QUIT_TIMEOUT_MS = 1_000;

/**
 * Owns every connection the module opens: one shared command connection, plus a dedicated
 * connection per blocking reader, created lazily and counted. Closes all of them (never a
 * user-supplied client) on application shutdown, after workers have drained.
 */
export class ValkeyConnection implements OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger(ValkeyConnection.name);
  private readonly blocking = new Set<ValkeyClient>();
  private closed = false;
  private detected?: Promise<ServerCapabilities>;

  private constructor(
    private readonly options: ResolvedConnectionOptions,
    /** The shared connection for non-blocking commands. */
    readonly client: ValkeyClient,
    private readonly ownsClient: boolean,
  ) {
    // A reconnect may reach another server (a failover, an upgrade): ask again.
    client.on('ready', () => {
      this.detected = undefined;
    });
  }

  /** Address for logs and errors, without credentials. */
  get address(): string {
    return describeAddress(this.options);
  }

  /**
   * What the server does where supported servers differ (XINFO CONSUMERS `idle`, ...): asked once
   * per connection, and again after a reconnect. Never rejects; an unanswered question gives the
   * conservative answer.
   */
  capabilities(): Promise<ServerCapabilities> {
    this.detected ??= detectServerCapabilities(this.client).then((found) => {
      if (!found.supported) {
        this.logger.warn(
          `${found.server === 'valkey' ? 'Valkey' : 'Redis'} ${found.version} at ${this.address} is older than Redis 7.0, the oldest supported server`,
        );
      }
      return found;
    });
    return this.detected;
  }

  /** Connections currently open for blocking reads (for health and tests). */
  get blockingConnectionCount(): number {
    return this.blocking.size;
  }

  /**
   * Opens the command connection. Unless `lazyConnect` is set, resolves only once the server
   * answers PING, and rejects with a `ConnectionError` naming the address after `connectTimeout`.
   */
  static async open(options: ResolvedConnectionOptions): Promise<ValkeyConnection> {
    const shared = options.client;
    const connection = new ValkeyConnection(
      options,
      shared ?? createClient(options, 'command', 'vq:command'),
      !shared,
    );
    defineLuaScripts(connection.client);
    if (shared) return connection; // the owner connected it; we never manage its lifecycle
    connection.watch(connection.client, 'command');
    if (options.lazyConnect) {
      connection.client.connect().catch(() => undefined); // reported through 'error' and retried
      return connection;
    }
    await connection.connectOrFail(connection.client);
    connection.logger.log(`Connected to ${connection.address}`);
    return connection;
  }

  /**
   * A new connection for one blocking reader (e.g. a worker's XREADGROUP BLOCK), which must not
   * share a socket with anything else. Closed with the module, or earlier via `release()`.
   */
  async createBlockingConnection(purpose: string): Promise<ValkeyClient> {
    if (this.closed) throw new ConnectionError(this.address, 'the module is shutting down');
    const client = this.options.client
      ? duplicateForBlocking(this.options.client, `vq:${purpose}`)
      : createClient(this.options, 'blocking', `vq:${purpose}`);
    this.blocking.add(client);
    // Scripts sent on a blocking connection record history events when the command client's do.
    const history = historyScriptsOf(this.client);
    if (history) useHistoryScripts(client, history);
    this.watch(client, purpose);
    try {
      if (client.status === 'wait') await this.connectOrFail(client);
    } catch (error) {
      this.blocking.delete(client);
      throw error;
    }
    return client;
  }

  /**
   * A dedicated connection to one node of a Cluster (e.g. a per-primary keyspace-notification
   * subscriber: notifications are node-local), with the settings of a blocking connection and the
   * module's reconnect backoff. Closed with the module, or earlier via `release()`.
   */
  async createNodeConnection(node: Redis, purpose: string): Promise<Redis> {
    if (this.closed) throw new ConnectionError(this.address, 'the module is shutting down');
    const client = node.duplicate({
      commandTimeout: undefined,
      maxRetriesPerRequest: null,
      connectionName: `vq:${purpose}`,
      lazyConnect: true,
      enableAutoPipelining: false,
      readOnly: false,
      // Pool nodes leave reconnecting to the Cluster client; this one reconnects by itself.
      retryStrategy: backoff(this.options.reconnect),
    });
    this.blocking.add(client);
    this.watch(client, `${purpose} ${node.options.host}:${node.options.port}`);
    try {
      await this.connectOrFail(client);
    } catch (error) {
      this.blocking.delete(client);
      throw error;
    }
    return client;
  }

  /** Closes one blocking connection early (a worker that stopped for good). */
  async release(client: ValkeyClient): Promise<void> {
    if (this.blocking.delete(client)) await closeClient(client);
  }

  /** Closes every connection this module opened. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const owned = this.ownedClients();
    this.blocking.clear();
    await Promise.all(owned.map(closeClient));
  }

  /**
   * Shutdown begins (Nest runs this before any `beforeApplicationShutdown`, where workers drain and
   * leases are handed back). Those last commands are best effort: if Valkey is unreachable now, or
   * becomes so before we close, they fail at once instead of waiting for a reconnect that may never
   * come, so shutdown stays bounded; what they could not write stays pending, as the contract says.
   */
  onModuleDestroy(): void {
    for (const client of this.ownedClients()) {
      if (client.status === 'ready') client.once('close', () => failFast(client));
      else failFast(client);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  private ownedClients(): ValkeyClient[] {
    return [...this.blocking, ...(this.ownsClient ? [this.client] : [])];
  }

  private async connectOrFail(client: ValkeyClient): Promise<void> {
    let lastError: unknown;
    const remember = (error: unknown): void => {
      lastError = error;
    };
    client.on('error', remember);
    try {
      await withTimeout(
        client.connect().then(() => client.ping()),
        this.options.connectTimeout,
        'Connecting',
      );
    } catch (error) {
      client.disconnect();
      throw new ConnectionError(this.address, errorMessage(lastError ?? error), {
        cause: lastError ?? error,
      });
    } finally {
      client.off('error', remember);
    }
  }

  /** Logs outages once per episode (not once per retry) and the recovery after them. */
  private watch(client: ValkeyClient, label: string): void {
    let failing = false;
    client.on('error', (error: unknown) => {
      redactCredentials(error); // before anything logs it
      if (failing || this.closed) return;
      failing = true;
      this.logger.warn(
        `Connection '${label}' to ${this.address} failed: ${errorMessage(error)}; reconnecting`,
      );
    });
    client.on('ready', () => {
      if (!failing) return;
      failing = false;
      this.logger.log(`Connection '${label}' to ${this.address} is back`);
    });
  }
}

/** A copy of a user's client, with the settings a blocking reader needs instead of theirs. */
function duplicateForBlocking(client: ValkeyClient, connectionName: string): ValkeyClient {
  const blocking = {
    commandTimeout: undefined,
    maxRetriesPerRequest: null,
    connectionName,
    lazyConnect: true,
  };
  return client instanceof Cluster
    ? client.duplicate(undefined, {
        lazyConnect: true,
        redisOptions: { ...client.options.redisOptions, ...blocking },
      })
    : client.duplicate(blocking);
}

/** Closes a client and resolves once its socket is gone (status `end`), so nothing outlives shutdown. */
async function closeClient(client: ValkeyClient): Promise<void> {
  if (client.status === 'end') return;
  // Not events.once(): it would reject on a late 'error' event and stop waiting early.
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  if (client.status === 'ready') {
    // QUIT lets queued replies arrive first; a server that does not answer gets the socket cut.
    await withTimeout(client.quit(), QUIT_TIMEOUT_MS, 'QUIT').catch(() => client.disconnect());
  } else {
    client.disconnect();
  }
  await withTimeout(ended, QUIT_TIMEOUT_MS, 'Closing the connection').catch(() => undefined);
  if (statusOf(client) !== 'end') rejectQueuedCommands(client);
  // QUIT ends the data connection but not the Sentinel subscribers that follow +switch-master
  // (ioredis's failover detector): they would reconnect forever and keep the process alive.
  // disconnect() on the ended client closes them.
  if (!client.isCluster && (client.options as RedisOptions).sentinels) client.disconnect();
}

/**
 * ioredis's disconnect() on a client that is waiting to reconnect neither ends it nor settles the
 * commands queued while it was down (no socket 'close' comes to trigger that), so their callers would
 * wait forever (a worker's blocking read, say). Settle them with the error ioredis itself uses.
 */
/** Makes a client reject commands while it is disconnected, including those already waiting. */
function failFast(client: ValkeyClient): void {
  client.options.enableOfflineQueue = false;
  // A subscriber that reconnects now would re-SUBSCRIBE by itself, and with no offline queue that
  // command can be refused before the socket is writable: a rejection nobody awaits. Shutting
  // down, no channel needs listening to again. (A cluster's subscriber is one of its own.)
  if (!client.isCluster) (client.options as RedisOptions).autoResubscribe = false;
  rejectQueuedCommands(client);
}

/** Reads the status afresh (TypeScript would narrow it from an earlier check). */
const statusOf = (client: ValkeyClient): string => client.status;

function rejectQueuedCommands(client: ValkeyClient): void {
  const internals = client as unknown as { flushQueue?: (error: Error) => void };
  internals.flushQueue?.(new Error('Connection is closed.'));
}
