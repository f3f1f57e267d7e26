import { Logger } from '@nestjs/common';
import type { ValkeyConnection } from '../connection/valkey-connection.js';
import type { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { DeleteOnAckRefusedError } from '../errors/delete-on-ack-refused.error.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import type { QueueWorkerHandle } from '../interfaces/queue-worker-handle.interface.js';
import { queueKeys } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { DeliveryProcessor } from './delivery-processor.js';
import type { MessageSource, RawDelivery } from './message-source.interface.js';
import { OutcomeSinkBatches } from './outcome-sink.js';
import { StreamSource } from './stream/stream-source.js';
import { abortableDelay, envelopeIdOf } from './worker-timing.js';
import type { InFlight, WorkerDefinition } from './worker-definition.js';

/** A paused queue is re-checked this often; a running one at most this often (folded into reads). */
const PAUSE_CHECK_MS = 1_000;
/** Read errors back off exponentially up to this (contract 21: never give up). */
const MAX_READ_BACKOFF_MS = 30_000;
/** After the shutdown deadline aborts handlers, how long they may take to settle before we hand them back. */
const ABORT_GRACE_MS = 1_000;
/** After its connection is closed, how long the read loop may take to notice before shutdown goes on. */
const READ_CLOSE_GRACE_MS = 1_000;
/** Most XAUTOCLAIM steps in one sweep; the cursor is kept, so the next sweep continues. */
const MAX_SWEEP_STEPS = 100;

/** What a consumer needs from the module. @internal */
export interface ConsumerDeps {
  connection: ValkeyConnection;
  prefix: string;
  promoter: DelayedPromoter;
}

/**
 * One worker's consumer: a read loop on its own connection that keeps at most `concurrency`
 * handlers running, reads only as many messages as it has free slots, reclaims messages of dead
 * consumers, keeps its own running messages from being reclaimed, and batches every outcome.
 * Transport commands are behind `MessageSource`. @internal
 */
export class QueueConsumer implements QueueWorkerHandle {
  private readonly logger: Logger;
  private readonly source: MessageSource;
  private readonly processor: DeliveryProcessor;
  private readonly sink: OutcomeSinkBatches;
  /** Messages held: running, or waiting for their outcome to be written. Keyed by entry id. */
  private readonly entries = new Map<string, InFlight>();
  private readonly background = new Set<Promise<unknown>>();
  private state: 'idle' | 'running' | 'stopping' = 'idle';
  private active = 0;
  private lifetime = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;
  private prepared = false;
  private drainingOwn = false;
  private paused = false;
  private lastPauseCheck = 0;
  private slotWaiter?: () => void;
  private slotWakeScheduled = false;
  private refreshTimer?: NodeJS.Timeout;
  private cleanupTimer?: NodeJS.Timeout;

  constructor(
    private readonly definition: WorkerDefinition,
    private readonly deps: ConsumerDeps,
  ) {
    const { options } = definition;
    this.logger = new Logger(`${definition.name}`);
    const keys = queueKeys(deps.prefix, options.queue);
    this.source = new StreamSource(deps.connection, keys, options);
    this.sink = new OutcomeSinkBatches(this.source, this.logger, {
      written: (entry) => this.written(entry),
      retried: (delayMs) => deps.promoter.scheduled(options.queue, Date.now() + delayMs),
    });
    this.processor = new DeliveryProcessor(definition, this.sink, this.logger, (entry) =>
      this.release(entry),
    );
  }

  get name(): string {
    return this.definition.name;
  }
  get queue(): string {
    return this.definition.options.queue;
  }
  get group(): string {
    return this.definition.options.group;
  }
  get consumer(): string {
    return this.definition.options.consumer;
  }
  get running(): boolean {
    return this.state !== 'idle';
  }
  get inFlight(): number {
    return this.active;
  }
  /** The resolved options (for the orchestrator). @internal */
  get options(): WorkerDefinition['options'] {
    return this.definition.options;
  }

  async start(): Promise<void> {
    if (this.stopping) await this.stopping;
    if (this.state !== 'idle') return;
    const { options } = this.definition;
    this.state = 'running';
    this.lifetime = new AbortController();
    this.prepared = false;
    this.drainingOwn = options.stableConsumer && !options.noAck;
    this.deps.promoter.watch(options.queue, 'stream');
    try {
      await this.source.prepare();
      this.prepared = true;
    } catch (error) {
      if (error instanceof DeleteOnAckRefusedError) {
        this.state = 'idle';
        await this.source.close();
        throw error;
      }
      // The server is not reachable yet (lazyConnect): the loop keeps trying.
      this.logger.warn(`Cannot prepare queue '${options.queue}' yet: ${errorMessage(error)}; retrying`);
    }
    if (!options.noAck) {
      this.refreshTimer = setInterval(() => this.track(this.refresh()), Math.max(1, options.claimIdle / 3));
      this.refreshTimer.unref();
    }
    if (options.consumerIdleCleanup > 0 && !options.noAck) {
      const every = Math.min(600_000, Math.max(1_000, options.consumerIdleCleanup / 2));
      this.cleanupTimer = setInterval(() => this.track(this.cleanup()), every);
      this.cleanupTimer.unref();
    }
    this.loopDone = this.loop();
  }

  stop(): Promise<void> {
    if (this.state === 'idle') return Promise.resolve();
    this.stopping ??= this.shutdown().finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async loop(): Promise<void> {
    const { options } = this.definition;
    const sweepEvery = Math.max(1, options.claimIdle / 2);
    let nextSweep = 0; // the first sweep runs at once: orphans of crashed consumers are picked up on start
    let failures = 0;
    while (this.state === 'running') {
      try {
        if (!this.prepared) {
          await this.source.prepare();
          this.prepared = true;
        }
        const free = options.concurrency - this.active;
        if (free <= 0) {
          await this.slotFreed();
          continue;
        }
        if (await this.isPaused()) {
          await abortableDelay(PAUSE_CHECK_MS, this.lifetime.signal);
          continue;
        }
        if (this.drainingOwn) {
          const page = await this.source.claimOwn(free);
          this.drainingOwn = !page.done;
          this.dispatch(page.deliveries);
          continue;
        }
        if (Date.now() >= nextSweep) {
          nextSweep = Date.now() + sweepEvery;
          await this.maintain();
          continue;
        }
        const blockMs = Math.min(options.blockTimeout, Math.max(1, nextSweep - Date.now()));
        const deliveries = await this.read(Math.min(options.batchSize, free), blockMs);
        if (failures > 0) this.logger.log(`Reading queue '${options.queue}' works again`);
        failures = 0;
        this.dispatch(deliveries);
      } catch (error) {
        if (this.state !== 'running') break;
        if (error instanceof DeleteOnAckRefusedError) {
          this.logger.error(error.message);
          break;
        }
        failures += 1;
        if (failures === 1) {
          this.logger.warn(`Reading queue '${options.queue}' failed: ${errorMessage(error)}; retrying`);
        }
        const ceiling = Math.min(MAX_READ_BACKOFF_MS, 100 * 2 ** Math.min(failures - 1, 20));
        await abortableDelay(ceiling / 2 + (Math.random() * ceiling) / 2, this.lifetime.signal);
      }
    }
  }

  /** Reads; acks waiting to be written go along in the same write when the transport can do it. */
  private read(count: number, blockMs: number): Promise<RawDelivery[]> {
    const acks = this.source.ackAndRead ? this.sink.takeProcessedAcks() : [];
    if (acks.length > 0) {
      const sent = this.source.ackAndRead!(acks, count, blockMs);
      // Shutdown waits for these acks (background) before it drains the batches.
      if (sent) this.track(sent.acked.catch(() => undefined));
      this.sink.processedAcksSent(acks, sent?.acked);
      if (sent) return sent.read;
    }
    return this.source.read(count, blockMs);
  }

  /** Every claimIdle / 2, in the loop (so it shares the idle budget): reclaim, then trim. */
  private async maintain(): Promise<void> {
    const { noAck, trimAcked, deleteOnAck } = this.definition.options;
    if (!noAck) await this.sweep();
    if (trimAcked && !deleteOnAck) {
      const removed = await this.source.trimAcked();
      if (removed > 0) this.logger.debug(`Trimmed ${removed} acknowledged entries of '${this.queue}'`);
    }
  }

  /** Follows the XAUTOCLAIM cursor to its end, never claiming more than the free slots. */
  private async sweep(): Promise<void> {
    for (let step = 0; step < MAX_SWEEP_STEPS && this.state === 'running'; step += 1) {
      const free = this.definition.options.concurrency - this.active;
      if (free <= 0) return;
      const page = await this.source.claimIdle(free);
      this.dispatch(page.deliveries);
      if (page.done) return;
    }
  }

  private dispatch(deliveries: RawDelivery[]): void {
    if (deliveries.length === 0) return;
    if (this.state !== 'running') {
      this.track(this.source.handBack(deliveries.map((raw) => raw.entryId)));
      return;
    }
    const batch: InFlight[] = [];
    for (const raw of deliveries) {
      if (this.entries.has(raw.entryId)) continue; // already ours: a sweep re-claimed what we are running
      const entry: InFlight = {
        raw,
        entryId: raw.entryId,
        id: '',
        running: true,
        outcome: 'none',
        abandoned: false,
      };
      this.entries.set(raw.entryId, entry);
      batch.push(entry);
    }
    this.active += batch.length;
    if (this.definition.options.idempotent) {
      this.track(this.runChecked(batch));
      return;
    }
    for (const entry of batch) this.run(entry);
  }

  /** Idempotent workers: one marker lookup per batch; a failed lookup processes nothing (fail closed). */
  private async runChecked(batch: InFlight[]): Promise<void> {
    let marks: boolean[];
    try {
      marks = await this.source.processedMarks(batch.map((entry) => envelopeIdOf(entry.raw.fields)));
    } catch (error) {
      this.logger.warn(
        `Idempotency check failed (${errorMessage(error)}); ${batch.length} messages stay pending`,
      );
      for (const entry of batch) this.release(entry);
      return;
    }
    batch.forEach((entry, index) => {
      if (this.state !== 'running') {
        this.track(this.source.handBack([entry.raw.entryId]));
        this.release(entry);
      } else if (marks[index]) {
        this.sink.ack(entry, 'skipped', envelopeIdOf(entry.raw.fields));
        this.release(entry);
      } else {
        this.run(entry);
      }
    });
  }

  private run(entry: InFlight): void {
    entry.done = this.processor.process(entry); // never rejects; releases the slot when over
  }

  /** A handler (or hook) is over: free its slot; forget the entry unless an outcome waits to be written. */
  private release(entry: InFlight): void {
    entry.running = false;
    this.active -= 1;
    if (entry.outcome === 'none' && this.entries.get(entry.raw.entryId) === entry) {
      this.entries.delete(entry.raw.entryId);
    }
    this.wakeLoop();
  }

  /** The outcome is written (or given up): the entry is no longer ours to refresh. */
  private written(entry: InFlight): void {
    entry.outcome = 'none';
    if (!entry.running && this.entries.get(entry.raw.entryId) === entry)
      this.entries.delete(entry.raw.entryId);
  }

  /** Resolves once a slot is free, one event-loop turn later, so handlers finishing together free their slots together. */
  private slotFreed(): Promise<void> {
    return new Promise((resolve) => {
      this.slotWaiter = resolve;
      if (this.lifetime.signal.aborted) resolve();
    });
  }

  private wakeLoop(): void {
    if (!this.slotWaiter || this.slotWakeScheduled) return;
    this.slotWakeScheduled = true;
    setImmediate(() => {
      this.slotWakeScheduled = false;
      const resolve = this.slotWaiter;
      this.slotWaiter = undefined;
      resolve?.();
    });
  }

  private async isPaused(): Promise<boolean> {
    if (!this.paused && Date.now() - this.lastPauseCheck < PAUSE_CHECK_MS) return false;
    this.lastPauseCheck = Date.now();
    const paused = await this.source.isPaused();
    if (paused !== this.paused) this.logger.log(`Queue '${this.queue}' ${paused ? 'paused' : 'resumed'}`);
    this.paused = paused;
    return paused;
  }

  /** Keeps the idle time of every held message at 0, so no other consumer reclaims it. */
  private async refresh(): Promise<void> {
    const ids = [...this.entries.keys()];
    for (let start = 0; start < ids.length; start += 500) {
      try {
        const lost = await this.source.refresh(ids.slice(start, start + 500));
        if (lost.length > 0) {
          this.logger.warn(
            `${lost.length} messages of '${this.queue}' were reclaimed by another consumer meanwhile`,
          );
        }
      } catch (error) {
        this.logger.warn(`Refreshing running messages failed: ${errorMessage(error)}`);
        return;
      }
    }
  }

  private async cleanup(): Promise<void> {
    try {
      const removed = await this.source.cleanupConsumers(this.definition.options.consumerIdleCleanup);
      if (removed > 0) this.logger.log(`Removed ${removed} idle consumers from group '${this.group}'`);
    } catch (error) {
      this.logger.debug(`Consumer clean-up failed: ${errorMessage(error)}`);
    }
  }

  private track(task: Promise<unknown>): void {
    const tracked = task.catch((error: unknown) => this.logger.warn(errorMessage(error)));
    this.background.add(tracked);
    void tracked.finally(() => this.background.delete(tracked));
  }

  private async shutdown(): Promise<void> {
    const { options } = this.definition;
    const deadline = Date.now() + options.shutdownTimeout;
    this.state = 'stopping';
    this.lifetime.abort();
    this.slotWaiter?.();
    clearInterval(this.cleanupTimer);
    await this.stopReading();
    const running = [...this.entries.values()].filter((entry) => entry.running);
    await settledOrTimeout(running, deadline - Date.now());
    const unfinished = running.filter((entry) => entry.running);
    if (unfinished.length > 0) {
      for (const entry of unfinished) {
        entry.abandoned = true;
        entry.message?.abort(new WorkerShutdownError(this.queue));
      }
      await settledOrTimeout(unfinished, ABORT_GRACE_MS);
      const settled = unfinished.filter((entry) => !entry.running).map((entry) => entry.raw.entryId);
      // Finished after the abort: hand them back so another consumer takes them at once.
      await this.source.handBack(settled).catch(() => undefined);
      this.logger.warn(`Shutdown left ${unfinished.length} unfinished messages of '${this.queue}' pending`);
    }
    await Promise.all([...this.background]);
    await this.sink.drain();
    clearInterval(this.refreshTimer);
    await this.source.close();
    this.entries.clear();
    this.active = 0;
    this.state = 'idle';
  }

  /** Ends the read loop: unblocks a waiting read, or closes its connection if that does not work in time. */
  private async stopReading(): Promise<void> {
    let finished = false;
    void this.loopDone.then(() => {
      finished = true;
    });
    const until = Date.now() + this.definition.options.blockTimeout + 1_000;
    while (!finished && Date.now() < until) {
      await this.source.interruptRead();
      await Promise.race([this.loopDone, abortableDelay(50)]);
    }
    if (!finished) {
      await this.source.close(true); // cut, not QUIT: a QUIT would wait behind the blocked read
      // Closing settles the read; the bound keeps shutdown finite whatever the client library does.
      await Promise.race([this.loopDone, abortableDelay(READ_CLOSE_GRACE_MS)]);
    }
  }
}

/** Waits for the entries' processing to end, or `ms`, whichever comes first. */
async function settledOrTimeout(entries: InFlight[], ms: number): Promise<void> {
  if (entries.length === 0) return;
  await Promise.race([
    Promise.allSettled(entries.map((entry) => entry.done)),
    abortableDelay(Math.max(0, ms)),
  ]);
}
