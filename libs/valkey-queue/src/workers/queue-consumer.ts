import { Logger } from '@nestjs/common';
import type { ValkeyConnection } from '../connection/valkey-connection.js';
import type { DelayedPromoter } from '../delayed/delayed-promoter.js';
import type { QueueSignals } from '../signals/queue-signals.js';
import { DeleteOnAckRefusedError } from '../errors/delete-on-ack-refused.error.js';
import { WorkerShutdownError } from '../errors/worker-shutdown.error.js';
import type { QueueWorkerHandle } from '../interfaces/queue-worker-handle.interface.js';
import { queueKeys } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { ConsumerTimers } from './consumer-timers.js';
import { DeliveryProcessor } from './delivery-processor.js';
import { InFlightSet } from './in-flight-set.js';
import type { MessageSource, RawDelivery } from './message-source.interface.js';
import { OutcomeSinkBatches } from './outcome-sink.js';
import { QueueFlags } from './queue-flags.js';
import { ListSource } from './list/list-source.js';
import { StreamSource } from './stream/stream-source.js';
import { PriorityStreamSource } from './priority/priority-stream-source.js';
import { listenForPriorities } from './priority/priority-signals.js';
import { OrderedLane } from './ordering/ordered-lane.js';
import { abortableDelay, allSettledOrTimeout, bounded, envelopeIdOf } from './worker-timing.js';
import type { InFlight, WorkerDefinition } from './worker-definition.js';
import { SEND_RETRY_HORIZON_MS } from '../sender/plain-send.js';

/** A paused queue is re-checked this often; a running one at most this often (folded into reads). */
const PAUSE_CHECK_MS = 1_000;
/** With signals live, the flag is still read this often: a pause by a client that cannot publish. */
const SIGNALED_PAUSE_CHECK_MS = 30_000;
/** Read errors back off exponentially up to this (contract 21: never give up). */
const MAX_READ_BACKOFF_MS = 30_000;
/** After the shutdown deadline aborts handlers, how long they may take to settle before we hand them back. */
const ABORT_GRACE_MS = 1_000;
/** After its connection is closed, how long the read loop may take to notice before shutdown goes on. */
const READ_CLOSE_GRACE_MS = 1_000;
/** Longest wait for one CLIENT UNBLOCK attempt at shutdown (the server may be unreachable). */
const INTERRUPT_TIMEOUT_MS = 500;
/** Least time a shutdown step gets once the deadline has passed (flush what can still be written). */
const SHUTDOWN_STEP_MIN_MS = 1_000;
/** Most XAUTOCLAIM steps in one sweep; the cursor is kept, so the next sweep continues. */
const MAX_SWEEP_STEPS = 100;

/** What a consumer needs from the module. @internal */
export interface ConsumerDeps {
  connection: ValkeyConnection;
  prefix: string;
  promoter: DelayedPromoter;
  signals: QueueSignals;
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
  private readonly flags: QueueFlags;
  private readonly processor: DeliveryProcessor;
  private readonly sink: OutcomeSinkBatches;
  /** Messages held: running, or waiting for their outcome to be written. */
  private readonly held = new InFlightSet();
  private readonly background = new Set<Promise<unknown>>();
  private state: 'idle' | 'running' | 'stopping' = 'idle';
  private lifetime = new AbortController();
  private loopDone: Promise<void> = Promise.resolve();
  private stopping?: Promise<void>;
  private prepared = false;
  /** The read connection opening ahead of start() (openReadConnection). */
  private warming?: Promise<void>;
  private drainingOwn = false;
  private paused = false;
  private lastPauseCheck = 0;
  /** Pause signals received; a check that saw no new one leaves the pause state known. */
  private pauseSignals = 0;
  private pauseKnown = false;
  private listening = false;
  /** Messages delivered since the last trim: an idle worker does not trim (nothing to trim). */
  private untrimmed = 1;
  /** When the last deliveries came: trim-acked.lua keeps entries younger than the send-retry horizon. */
  private deliveredAt = 0;
  private readonly timers: ConsumerTimers;
  /** Messages sent with an ordering key (stream transport; docs/ordering.md). */
  private readonly lane?: OrderedLane;

  constructor(
    private readonly definition: WorkerDefinition,
    private readonly deps: ConsumerDeps,
  ) {
    const { options } = definition;
    this.logger = new Logger(`${definition.name}`);
    const keys = queueKeys(deps.prefix, options.queue);
    this.source =
      options.transport === 'list'
        ? new ListSource(deps.connection, keys, options, () => this.held.ids())
        : new PriorityStreamSource(
            deps.connection,
            keys,
            options,
            new StreamSource(deps.connection, keys, options),
          );
    this.flags = new QueueFlags(() => deps.connection.client, keys);
    this.sink = new OutcomeSinkBatches(this.source, this.logger, {
      written: (entry) => this.held.written(entry),
      retried: (delayMs) => deps.promoter.scheduled(options.queue, Date.now() + delayMs),
    });
    this.timers = new ConsumerTimers(options, this.source, this.held, this.logger, (task) =>
      this.track(task),
    );
    this.processor = new DeliveryProcessor(definition, this.sink, this.logger, (entry) => {
      this.held.release(entry);
      this.lane?.nudge();
    });
    if (options.transport === 'stream' && options.orderedConcurrency !== 0) {
      const laneDeps = { connection: deps.connection, keys, signals: deps.signals, logger: this.logger };
      this.lane = new OrderedLane(definition, laneDeps, {
        freeSlots: () => options.concurrency - this.held.active - (this.lane?.running ?? 0),
        paused: () => this.paused,
        slotFreed: () => this.held.interrupt(),
        track: (task) => this.track(task),
      });
    }
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
    return this.held.active + (this.lane?.running ?? 0);
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
    // Retries are promoted onto the list this worker reads (a queueNamer's key included).
    const target = this.source instanceof ListSource ? this.source.key : undefined;
    this.deps.promoter.watch(options.queue, options.transport, target);
    this.listenForSignals();
    // Read in the same write as the preparation: the loop's first pause check is then done.
    const pauseChecked = this.isPaused().catch(() => {
      this.lastPauseCheck = 0; // not known: the loop asks again before its first read
    });
    try {
      await this.source.prepare();
      this.prepared = true;
      await pauseChecked;
    } catch (error) {
      if (error instanceof DeleteOnAckRefusedError) {
        this.state = 'idle';
        await this.source.close();
        throw error;
      }
      // The server is not reachable yet (lazyConnect): the loop keeps trying.
      this.logger.warn(`Cannot prepare queue '${options.queue}' yet: ${errorMessage(error)}; retrying`);
    }
    this.timers.start();
    this.lane?.start();
    this.loopDone = this.loop();
  }

  /**
   * Opens the read connection of a worker that is not started yet, as the module boots (as BullMQ's
   * Worker does), and subscribes to its signals: start() then reads without waiting for a connection
   * handshake. Changes nothing on the server; never rejects (start() opens it again if this failed).
   * @internal
   */
  openReadConnection(): Promise<void> {
    if (this.state !== 'idle' || !this.source.openReadConnection) return Promise.resolve();
    // Subscribed now, so the subscription's resync (pause state and priorities unknown: ask again)
    // comes before start(), not between its first checks and its first read.
    this.listenForSignals();
    this.warming ??= this.source.openReadConnection().catch((error: unknown) => {
      this.logger.debug(`Read connection of '${this.queue}' not open yet: ${errorMessage(error)}`);
    });
    return this.warming;
  }

  /** Closes the read connection of a worker not running (module shutdown), opened or opening. @internal */
  async closeReadConnection(): Promise<void> {
    await this.warming;
    this.warming = undefined;
    if (this.state === 'idle') await this.source.close();
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
        const free = options.concurrency - this.held.active - (this.lane?.running ?? 0);
        if (free <= 0) {
          await this.held.slotFreed(this.lifetime.signal);
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
          // Nothing pending now means nothing reclaimable before claimIdle from now.
          if (await this.maintain()) nextSweep = Date.now() + options.claimIdle;
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

  /**
   * Every claimIdle / 2, in the loop (so it shares the idle budget): reclaim, then trim. Resolves
   * true when the group had nothing pending at all.
   */
  private async maintain(): Promise<boolean> {
    const { noAck, trimAcked, deleteOnAck } = this.definition.options;
    // Together (one write): a trim never removes a pending entry, so it cannot take what a sweep claims.
    const [nothingPending] = await Promise.all([
      noAck ? false : this.sweep(),
      trimAcked && !deleteOnAck && this.untrimmed > 0 ? this.trim() : undefined,
    ]);
    return nothingPending;
  }

  private async trim(): Promise<void> {
    // Entries a sender's retry may still look for are kept: trim again until the last ones are older.
    this.untrimmed = Date.now() - this.deliveredAt < SEND_RETRY_HORIZON_MS ? 1 : 0;
    const removed = await this.source.trimAcked();
    if (removed > 0) this.logger.debug(`Trimmed ${removed} acknowledged entries of '${this.queue}'`);
  }

  /**
   * Follows the XAUTOCLAIM cursor to its end, never claiming more than the free slots. Resolves
   * true when the source saw nothing pending.
   */
  private async sweep(): Promise<boolean> {
    for (let step = 0; step < MAX_SWEEP_STEPS && this.state === 'running'; step += 1) {
      const free = this.definition.options.concurrency - this.held.active;
      if (free <= 0) return false;
      const page = await this.source.claimIdle(free);
      this.dispatch(page.deliveries);
      if (page.done) return page.nothingPending === true;
    }
    return false;
  }

  private dispatch(deliveries: RawDelivery[]): void {
    if (deliveries.length === 0) return;
    this.untrimmed += deliveries.length;
    this.deliveredAt = Date.now();
    if (this.state !== 'running') {
      this.track(this.source.handBack(deliveries.map((raw) => raw.entryId)));
      return;
    }
    const batch = this.held.hold(deliveries);
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
      // A message that is not UTF-8 text is broken: no marker can skip it ('' is never marked).
      marks = await this.flags.processedMarks(
        batch.map((entry) => (entry.raw.invalid === undefined ? envelopeIdOf(entry.raw.fields) : '')),
      );
    } catch (error) {
      this.logger.warn(
        `Idempotency check failed (${errorMessage(error)}); ${batch.length} messages stay pending`,
      );
      for (const entry of batch) this.held.release(entry);
      return;
    }
    batch.forEach((entry, index) => {
      if (this.state !== 'running') {
        this.track(this.source.handBack([entry.raw.entryId]));
        this.held.release(entry);
      } else if (marks[index]) {
        this.sink.ack(entry, 'skipped', envelopeIdOf(entry.raw.fields));
        this.held.release(entry);
      } else {
        this.run(entry);
      }
    });
  }

  private run(entry: InFlight): void {
    entry.done = this.processor.process(entry); // never rejects; releases the slot when over
  }

  private async isPaused(): Promise<boolean> {
    // While signals arrive, pause() is announced (QueueAdmin publishes it): no need to ask.
    const recheck = this.pauseKnown && this.deps.signals.live ? SIGNALED_PAUSE_CHECK_MS : PAUSE_CHECK_MS;
    if (!this.paused && Date.now() - this.lastPauseCheck < recheck) return false;
    this.lastPauseCheck = Date.now();
    const signalsBefore = this.pauseSignals;
    const paused = await this.flags.isPaused();
    this.pauseKnown = signalsBefore === this.pauseSignals;
    if (paused !== this.paused) this.logger.log(`Queue '${this.queue}' ${paused ? 'paused' : 'resumed'}`);
    this.paused = paused;
    return paused;
  }

  /** A pause or resume anywhere interrupts the blocked read, so the loop looks at once. */
  /** Pause and priority signals of the queue (each subscribed once, whichever comes first: boot or start). */
  private listenForSignals(): void {
    this.listenForPause();
    listenForPriorities(this.deps.signals, this.source);
  }

  private listenForPause(): void {
    if (this.listening) return;
    this.listening = true;
    const changed = (): void => {
      this.pauseSignals += 1;
      this.pauseKnown = false;
      this.lastPauseCheck = 0;
      if (this.state === 'running') void this.source.interruptRead().catch(() => false);
    };
    const { paused } = queueKeys(this.deps.prefix, this.queue);
    this.deps.signals.listen(paused, { message: changed, resync: changed });
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
    this.held.interrupt();
    this.timers.stopCleanup();
    const laneStopped = this.lane?.stop(deadline);
    await this.stopReading();
    const running = this.held.running();
    await allSettledOrTimeout(
      running.map((entry) => entry.done),
      deadline - Date.now(),
    );
    const unfinished = running.filter((entry) => entry.running);
    if (unfinished.length > 0) {
      for (const entry of unfinished) {
        entry.abandoned = true;
        entry.message?.abort(new WorkerShutdownError(this.queue));
      }
      await allSettledOrTimeout(
        unfinished.map((entry) => entry.done),
        ABORT_GRACE_MS,
      );
      const settled = unfinished.filter((entry) => !entry.running).map((entry) => entry.raw.entryId);
      // Finished after the abort: hand them back so another consumer takes them at once.
      await bounded(this.source.handBack(settled, true), SHUTDOWN_STEP_MIN_MS);
      this.logger.warn(`Shutdown left ${unfinished.length} unfinished messages of '${this.queue}' pending`);
    }
    // With the server unreachable these could wait long; whatever is not written stays pending.
    const left = (): number => Math.max(SHUTDOWN_STEP_MIN_MS, deadline - Date.now());
    await bounded(Promise.all([...this.background]), left());
    await bounded(this.sink.drain(), left());
    this.timers.stopRefreshing();
    await laneStopped;
    await this.source.close();
    this.held.clear();
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
      // Cancels the losing wait: no timer outlives the shutdown.
      const cancel = new AbortController();
      const interruptible = await Promise.race([
        this.source.interruptRead().catch(() => true),
        abortableDelay(INTERRUPT_TIMEOUT_MS, cancel.signal).then(() => true),
      ]).finally(() => cancel.abort());
      if (!interruptible) break; // not connected: nothing to unblock, close it below
      await bounded(this.loopDone, 50);
    }
    if (!finished) {
      await this.source.close(true); // cut, not QUIT: a QUIT would wait behind the blocked read
      // Closing settles the read; the bound keeps shutdown finite whatever the client library does.
      await bounded(this.loopDone, READ_CLOSE_GRACE_MS);
    }
  }
}
