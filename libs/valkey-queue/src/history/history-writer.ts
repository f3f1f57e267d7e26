import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import type { HistoryPool } from '../interfaces/history-options.interface.js';
import { queueHashTag } from '../utils/keys.util.js';
import { countHistoryEvents, parseHistoryEntries, type HistoryEvent } from './history-event.js';
import { writeHistoryBatch } from './history-sink.js';
import type { WriterPacing } from './writer-pacing.js';

/** The consumer group every app instance's writer shares, per history stream. */
export const HISTORY_GROUP = 'history-writer';
/** Events per transaction (about: a batch holds whole entries, and an entry packs many events). */
const BATCH = 2_000;
/** Entries read at most at once (single-event entries). */
const MAX_ENTRIES = 1_000;
/** Transactions one writer runs at once on one stream (the pool holds 4 connections). */
const WRITES_IN_FLIGHT = 3;
const IDLE_POLL_MS = 200;
const MAX_BACKOFF_MS = 5_000;
/** Entries pending this long to another writer are taken over (that writer is presumed dead). */
const CLAIM_IDLE_MS = 30_000;
const DISCOVER_EVERY_MS = 5_000;
/** Entries read to count (or estimate) the events waiting in a stream. */
const BACKLOG_SAMPLE = 20;

type StreamEntries = [id: string, fields: string[]][];

/** The history stream of a queue: `<hash tag>:history` (see lua/fragments/history-event.lua). */
export const historyStreamKey = (prefix: string, queue: string): string =>
  `${queueHashTag(prefix, queue)}:history`;

/**
 * Drains the queues' history streams into PostgreSQL: a consumer group per stream, so any number of
 * instances share the work; a batch is acknowledged (and deleted) only after its transaction commits,
 * so a crash redelivers it, and the idempotent insert writes it once. While PostgreSQL is down, events
 * wait in Valkey and the writer retries with backoff. @internal
 */
export class HistoryWriter {
  private readonly logger = new Logger(HistoryWriter.name);
  private readonly queues = new Map<string, { key: string; ownPending: boolean }>();
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private lastDiscovery = 0;
  private lastClaim = 0;
  /** Events per stream entry lately (entries pack the events of one script call): sizes the reads. */
  private eventsPerEntry = 1;
  /** Total events written by this instance (not counting duplicates skipped). */
  written = 0;
  /** The last PostgreSQL error, cleared by the next successful batch. */
  lastError?: Error;

  constructor(
    private readonly client: Redis | Cluster,
    private readonly pool: HistoryPool,
    private readonly prefix: string,
    private readonly schema: string,
    private readonly consumer: string,
    /** Bytes of a payload kept (history.payloads 'truncated'); Infinity keeps it whole. */
    private readonly payloadBytes = Infinity,
    /** Run (until it succeeds) before the first write: the schema migration, when it failed at boot. */
    private prepare?: () => Promise<void>,
    /** Puts writing off while the process is busy handling messages (within bounds); none: never. */
    private readonly pacing?: WriterPacing,
  ) {}

  /** Turns history on for `queue` (creates its stream and group) and drains it from now on. */
  async watch(queue: string): Promise<void> {
    if (this.queues.has(queue)) return;
    const key = historyStreamKey(this.prefix, queue);
    try {
      await this.client.xgroup('CREATE', key, HISTORY_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!/BUSYGROUP/.test(String(error))) throw error;
    }
    this.queues.set(queue, { key, ownPending: true });
    this.wake?.(); // drain it now, not after the idle pause
  }

  /** Queues with a history stream (created by any instance), found by SCAN on every primary. */
  async discover(): Promise<void> {
    const pattern = `{${this.prefix}:*}:history`;
    const nodes = 'nodes' in this.client ? this.client.nodes('master') : [this.client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', 'stream');
        cursor = next;
        for (const key of keys) {
          const queue = key.slice(this.prefix.length + 2, -'}:history'.length);
          if (!this.queues.has(queue)) await this.watch(queue);
        }
      } while (cursor !== '0');
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Events waiting in Valkey, over every watched queue (`sample`: entries read per queue to count). */
  async backlog(sample = BACKLOG_SAMPLE): Promise<number> {
    let total = 0;
    for (const { key } of this.queues.values()) total += await this.backlogOf(key, sample);
    return total;
  }

  /** History stream entries waiting, over every watched queue (an entry holds one or more events). */
  private async entries(): Promise<number> {
    let total = 0;
    for (const { key } of this.queues.values()) total += await this.client.xlen(key);
    return total;
  }

  /**
   * Events waiting in one history stream: counted exactly up to `sample` entries; beyond,
   * estimated as its length times the mean events of its newest entries (an entry packs many).
   */
  private async backlogOf(key: string, sample: number): Promise<number> {
    const [length, newest] = await Promise.all([
      this.client.xlen(key),
      this.client.xrevrange(key, '+', '-', 'COUNT', sample) as Promise<StreamEntries>,
    ]);
    if (newest.length === 0) return 0;
    const events = newest.reduce((sum, [, fields]) => sum + countHistoryEvents(fields), 0);
    return length <= newest.length ? events : Math.round((length * events) / newest.length);
  }

  /** Drains every watched stream until each is empty once (returns the events); for tests and shutdown. */
  async drainOnce(): Promise<number> {
    let total = 0;
    for (const [queue, state] of this.queues) total += await this.drainQueue(queue, state);
    return total;
  }

  private async run(): Promise<void> {
    let backoff = IDLE_POLL_MS;
    while (this.running) {
      let moved = 0;
      try {
        if (this.prepare) {
          await this.prepare();
          this.prepare = undefined;
        }
        await this.housekeeping();
        // Cheap probes (XLEN; the backlog estimated from one entry per queue): they run every pause.
        if (
          this.pacing &&
          (await this.pacing.defer(
            () => this.entries(),
            () => this.backlog(1),
          ))
        ) {
          this.pacing.rest();
          await this.pause(IDLE_POLL_MS);
          continue;
        }
        moved = await this.drainOnce(); // events
        if (this.lastError) this.logger.log('PostgreSQL is back: history writing resumed');
        this.lastError = undefined;
        backoff = IDLE_POLL_MS;
      } catch (error) {
        if (!this.lastError)
          this.logger.warn(`History writing paused, events wait in Valkey: ${String(error)}`);
        this.lastError = error instanceof Error ? error : new Error(String(error));
        for (const state of this.queues.values()) state.ownPending = true;
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
      // A partial batch means the writer keeps up: wait for events to gather rather than run a
      // transaction per handful of them (each costs about as much as a full one).
      if (moved < BATCH || this.lastError) {
        this.pacing?.rest();
        await this.pause(this.lastError ? backoff : IDLE_POLL_MS);
      }
    }
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastDiscovery >= DISCOVER_EVERY_MS) {
      this.lastDiscovery = now;
      await this.discover();
    }
    if (now - this.lastClaim >= CLAIM_IDLE_MS / 2) {
      this.lastClaim = now;
      for (const state of this.queues.values()) {
        const [, claimed] = (await this.client.xautoclaim(
          state.key, HISTORY_GROUP, this.consumer, CLAIM_IDLE_MS, '0-0', 'COUNT', MAX_ENTRIES, 'JUSTID',
        )) as [string, string[]]; // prettier-ignore
        if (claimed.length > 0) state.ownPending = true;
      }
    }
  }

  private async drainQueue(queue: string, state: { key: string; ownPending: boolean }): Promise<number> {
    let total = 0;
    // New batches are written while the next is read, up to WRITES_IN_FLIGHT transactions at once.
    const inFlight = new Set<Promise<void>>();
    let failure: unknown;
    const settle = async (): Promise<void> => {
      await Promise.all(inFlight);
      if (failure !== undefined) throw failure;
    };
    for (;;) {
      if (failure !== undefined) await settle();
      // Our own pending entries first (a batch whose commit failed), alone; then new ones.
      if (state.ownPending) await settle();
      const from = state.ownPending ? '0' : '>';
      const count = Math.max(1, Math.min(MAX_ENTRIES, Math.round(BATCH / this.eventsPerEntry)));
      const reply = (await this.client.xreadgroup(
        'GROUP', HISTORY_GROUP, this.consumer, 'COUNT', count, 'STREAMS', state.key, from,
      )) as [string, StreamEntries][] | null; // prettier-ignore
      const entries = reply?.[0]?.[1] ?? [];
      if (entries.length === 0) {
        if (!state.ownPending) break;
        state.ownPending = false;
        continue;
      }
      const events = entries.flatMap(([id, fields]) => (fields ? parseHistoryEntries(id, fields) : []));
      total += events.length;
      this.eventsPerEntry = Math.max(1, events.length / entries.length);
      const write = this.writeBatch(queue, state.key, entries, events).catch((error: unknown) => {
        state.ownPending = true;
        failure ??= error;
      });
      inFlight.add(write);
      void write.finally(() => inFlight.delete(write));
      if (inFlight.size >= WRITES_IN_FLIGHT) await Promise.race(inFlight);
      if (entries.length < count && !state.ownPending) break;
    }
    await settle();
    return total;
  }

  /** Writes one batch (the events of `entries`) in one transaction, then acks and deletes its entries. */
  private async writeBatch(
    queue: string,
    key: string,
    entries: StreamEntries,
    events: readonly HistoryEvent[],
  ): Promise<void> {
    this.written += await writeHistoryBatch(this.pool, this.schema, queue, events, this.payloadBytes);
    const ids = entries.map(([id]) => id);
    await this.client
      .pipeline()
      .xack(key, HISTORY_GROUP, ...ids)
      .xdel(key, ...ids)
      .exec();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
