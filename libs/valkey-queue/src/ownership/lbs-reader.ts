import { Logger } from '@nestjs/common';
import { Cluster, Redis } from 'ioredis';
import type { ValkeyClient } from '../connection/create-client.js';
import { markLiveArgs } from '../connection/server-capabilities.js';
import { unblockByName } from '../connection/unblock-by-name.js';
import type { ValkeyConnection } from '../connection/valkey-connection.js';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';
import { isMissingGroup, isUnrecoverable } from './ownership-errors.js';
import { Pause } from './pause.js';
import { parseLbsEntry } from './lbs-entry.js';
import type { OwnershipStore, TakeResult } from './ownership-store.js';

type TakenLease = Extract<TakeResult, { status: 'taken' }>;

/** Longest XREADGROUP block: bounds how long a reader on a dead socket goes unnoticed. */
const BLOCK_MS = 5_000;
const MAX_BACKOFF_MS = 30_000;
/** How long a stopping reader may take to notice the UNBLOCK before its socket is cut. */
const STOP_GRACE_MS = 1_000;

type StreamEntry = [id: string, fields: string[]];

/** The entries of a one-stream XREADGROUP reply: `[[key, entries]]` (RESP2) or `[key, entries]` (RESP3 map, legacy mapping). */
function streamEntries(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const pair: unknown = typeof reply[0] === 'string' ? reply : reply[0];
  return Array.isArray(pair) && Array.isArray(pair[1]) ? (pair[1] as StreamEntry[]) : [];
}

/**
 * Reads the load-balancer stream through the service's consumer group on a dedicated blocking
 * connection, one entry at a time (so concurrent instances share assignments evenly), and takes
 * the lease of each entry (take-lease.lua), or moves a malformed one to the LBS dead-letter stream.
 * A lease taken goes to `adopt`. Errors never stop it: it retries with capped backoff, recreates a
 * deleted group, and stops only at shutdown or on an unrecoverable error (`onFatal`).
 * @internal
 */
export class LbsReader {
  private readonly logger = new Logger('StreamOwnershipService');
  private readonly pause = new Pause();
  private client?: ValkeyClient;
  private clientId?: number;
  /** Before Redis 7.2 a blocked read neither creates nor refreshes the consumer: each read marks it first. */
  private markLive = true;
  private running = false;
  private loop?: Promise<void>;

  constructor(
    private readonly connection: ValkeyConnection,
    private readonly store: OwnershipStore,
    /** Called with each lease taken from a delivery. */
    private readonly adopt: (stream: string, result: TakenLease, sentAt: number) => void,
    private readonly onFatal: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Ends the loop: unblocks a pending read, waits for the entry in hand, closes the connection. */
  async stop(): Promise<void> {
    if (!this.running) return this.loop;
    this.running = false;
    this.pause.wake();
    const { client, clientId } = this;
    // CLIENT UNBLOCK ends the read without losing an entry; it needs the connection id on one server.
    if (client && clientId !== undefined && this.connection.client instanceof Redis) {
      await this.connection.client.client('UNBLOCK', clientId).catch(() => undefined);
    } else if (client instanceof Cluster) {
      await unblockByName(this.connection.client, `vq:${this.connectionPurpose}`);
    }
    // A read that reached the server after the UNBLOCK (or a Cluster read) is cut off; an entry
    // delivered at that instant stays pending and is recovered after recoveryIdle.
    const ended = await withTimeout(this.loop ?? Promise.resolve(), STOP_GRACE_MS).then(
      () => true,
      () => false,
    );
    if (!ended) {
      this.client?.disconnect();
      await this.loop;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      try {
        const client = await this.blockingClient();
        // Right before the read, on its connection: the instance shows in XINFO CONSUMERS of the LBS on every server.
        if (this.markLive) {
          client
            .call('XREADGROUP', ...markLiveArgs(this.store.group, this.store.owner, this.store.keys.lbs))
            .catch(() => undefined);
        }
        const reply = await client.call(
          'XREADGROUP',
          'GROUP',
          this.store.group,
          this.store.owner,
          'COUNT',
          1,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.store.keys.lbs,
          '>',
        );
        if (failures > 0) this.logger.log('Reading the load-balancer stream works again');
        failures = 0;
        for (const [id, fields] of streamEntries(reply)) await this.deliver(id, fields);
      } catch (error) {
        if (!this.running) break;
        if (isUnrecoverable(error)) {
          this.onFatal(error);
          break;
        }
        if (isMissingGroup(error)) {
          await this.store.ensureGroup().catch(() => undefined);
          continue;
        }
        failures += 1;
        if (failures === 1) {
          this.logger.warn(`Reading the load-balancer stream failed: ${errorMessage(error)}; retrying`);
        }
        await this.pause.wait(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10)));
      }
    }
    await this.closeClient();
  }

  /** One delivery. Never throws: a failed take leaves the entry pending, and recovery retries it. */
  private async deliver(entryId: string, fields: string[]): Promise<void> {
    try {
      const parsed = parseLbsEntry(fields);
      if ('error' in parsed) {
        this.logger.warn(
          `Malformed LBS entry ${entryId} moved to ${this.store.keys.lbsDead}: ${parsed.error}`,
        );
        await this.store.deadLetter(entryId, parsed.error);
        return;
      }
      const sentAt = Date.now();
      const result = await this.store.take(parsed.stream, 'read', entryId);
      if (result.status === 'taken') this.adopt(parsed.stream, result, sentAt);
      else this.logger.debug(`LBS entry ${entryId} for '${parsed.stream}' not taken: ${result.status}`);
    } catch (error) {
      this.logger.warn(`Taking LBS entry ${entryId} failed (${errorMessage(error)}): recovery retries it`);
    }
  }

  /** Unique per instance, so a Cluster stop can find (by name) and unblock exactly this read. */
  private get connectionPurpose(): string {
    return `ownership-lbs:${this.store.owner}`.replace(/\s/g, '_');
  }

  private async blockingClient(): Promise<ValkeyClient> {
    if (this.client) return this.client;
    this.markLive = !(await this.connection.capabilities()).idleCountsReadAttempts;
    const client = await this.connection.createBlockingConnection(this.connectionPurpose);
    this.client = client;
    if (client instanceof Redis) this.clientId = Number(await client.client('ID'));
    return client;
  }

  private async closeClient(): Promise<void> {
    const { client } = this;
    this.client = undefined;
    if (client) await this.connection.release(client).catch(() => undefined);
  }
}
