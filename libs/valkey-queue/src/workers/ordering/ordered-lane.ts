import type { Logger } from '@nestjs/common';
import type { ValkeyConnection } from '../../connection/valkey-connection.js';
import type { QueueSignals } from '../../signals/queue-signals.js';
import type { QueueKeys } from '../../utils/keys.util.js';
import { errorMessage } from '../../utils/with-timeout.util.js';
import { ConsumerTimers } from '../consumer-timers.js';
import { DeliveryProcessor } from '../delivery-processor.js';
import { InFlightSet } from '../in-flight-set.js';
import { OutcomeSinkBatches } from '../outcome-sink.js';
import { WorkerShutdownError } from '../../errors/worker-shutdown.error.js';
import { allSettledOrTimeout, bounded } from '../worker-timing.js';
import type { RawDelivery } from '../message-source.interface.js';
import type { InFlight, OutcomeSink, WorkerDefinition } from '../worker-definition.js';
import { OrderedSource, type OrderedTake } from './ordered-source.js';

/** Shortest and longest wait between takes that found nothing due (signals cut the wait short). */
const IDLE_MIN_MS = 5;
const IDLE_MAX_MS = 1_000;
/** While signals arrive, an idle lane may sleep this long: a send that readies a key publishes. */
const SIGNALED_IDLE_MAX_MS = 5_000;
/** Keys per take call (a larger take is sent as several calls at once, see takePages). */
const TAKE_PAGE = 20;
/** A paused queue is re-checked this often. */
const PAUSED_MS = 1_000;
/** After the shutdown deadline aborts handlers, how long they may take to settle before we hand them back. */
const ABORT_GRACE_MS = 1_000;
/** Read errors back off up to this. */
const MAX_ERROR_BACKOFF_MS = 30_000;

/** What the lane needs from the consumer it runs beside. @internal */
export interface LaneHost {
  /** Slots the consumer's unordered handlers leave free now. */
  freeSlots(): number;
  /** The queue is paused (the consumer keeps this current). */
  paused(): boolean;
  /** One of the lane's handlers finished: the consumer may read again. */
  slotFreed(): void;
  /** Runs a task in the background (the consumer awaits them at shutdown). */
  track(task: Promise<unknown>): void;
}

/** What a lane needs from the module. @internal */
export interface LaneDeps {
  connection: ValkeyConnection;
  keys: QueueKeys;
  signals: QueueSignals;
  logger: Logger;
}

/**
 * The ordered side of a stream worker (docs/ordering.md): takes ready ordering keys with fenced
 * leases, runs each key's head message through the same processing as unordered messages
 * (decoding, handler, timeout, retries, dead letters, hooks), and writes outcomes that pop the
 * head and make the key ready again. One message per key at a time, across every instance.
 * Dormant until the queue has ordered messages: a queue without them pays one EXISTS per claimIdle.
 * @internal
 */
export class OrderedLane {
  private readonly source: OrderedSource;
  private readonly held = new InFlightSet();
  private readonly sink: OutcomeSinkBatches;
  private readonly processor: DeliveryProcessor;
  private readonly timers: ConsumerTimers;
  private readonly limit: number;
  /** Entry ids of processed messages whose ack, to be written, may hand over their key's next message. */
  private readonly promised = new Set<string>();
  /**
   * Processed messages whose key goes on here with the next message of its run (their ack keeps the
   * lease for it): that next message, until it starts once the ack is sent (then undefined).
   */
  private readonly keeping = new Map<string, RawDelivery | undefined>();
  /** Next messages of runs that start once their predecessor's ack is sent: their slots are kept. */
  private following = 0;
  /**
   * Running messages after which their key goes back to the ready set (it ran CONTINUE_LIMIT in a
   * row here): their slots are about to free, so keys to replace them are taken ahead.
   */
  private readonly lastInRow = new Set<string>();
  /**
   * Next messages handed over by acks (their keys stay leased here) waiting for a free slot, with
   * when they came: they run before any new key is taken.
   */
  private readonly waiting: { delivery: RawDelivery; at: number }[] = [];
  /** Hand-backs of next messages that will not run here (stopping, or waited too long). */
  private readonly handingBack = new Set<Promise<void>>();
  /** A dormant lane looks for ordered messages this often (and on every signal). */
  private readonly claimIdle: number;
  private state: 'idle' | 'running' | 'stopping' = 'idle';
  private active = false;
  private loopDone: Promise<void> = Promise.resolve();
  private waking?: () => void;
  /** A nudge came while not waiting. */
  private woken = false;
  private listening = false;
  private ackFlushScheduled = false;
  /** Ack writes sent by the lane itself (not by the sink's batcher), awaited at shutdown. */
  private readonly acking = new Set<Promise<void>>();

  constructor(
    definition: WorkerDefinition,
    private readonly deps: LaneDeps,
    private readonly host: LaneHost,
  ) {
    const { options } = definition;
    // Every ordered message is acknowledged (its key waits for it): noAck and markers do not apply.
    const laneOptions = { ...options, noAck: false, idempotent: false, consumerIdleCleanup: 0 };
    const laneDefinition: WorkerDefinition = { ...definition, options: laneOptions };
    this.claimIdle = options.claimIdle;
    this.limit = Math.min(options.orderedConcurrency ?? options.concurrency, options.concurrency);
    this.source = new OrderedSource(
      deps.connection,
      deps.keys,
      laneOptions,
      options.orderedOnDead ?? 'continue',
    );
    this.sink = new OutcomeSinkBatches(this.source, deps.logger, {
      written: (entry) => {
        this.held.written(entry);
        this.keeping.delete(entry.entryId);
        // Its key did not go on here (no next message due, or not asked): another key may be taken.
        if (this.promised.delete(entry.entryId)) this.nudge();
      },
      retried: () => this.nudge(),
    });
    this.source.hooks = {
      mayContinue: (entryId) => this.state === 'running' && !host.paused() && this.promised.has(entryId),
      keeps: (entryId) => this.keeping.has(entryId),
      acksSent: (acked) => this.startNextOfRuns(acked),
      continued: (deliveries, acked) => {
        for (const { entryId } of acked) this.promised.delete(entryId);
        this.admit(deliveries);
        if (deliveries.length < acked.length) this.nudge(); // keys that did not go on: take others
      },
    };
    this.timers = new ConsumerTimers(laneOptions, this.source, this.held, deps.logger, host.track);
    // While acks are written, the handlers run other keys; each ack may bring its key's next message
    // back for the next free slot: an instance leases at most 2 x orderedConcurrency keys at once.
    const sink = this.sink;
    const promisingSink: OutcomeSink = {
      ack: (entry, outcome, id) => {
        if (outcome === 'processed' && this.state === 'running') {
          // The key goes on with the next message of its run once this ack is sent.
          const next = host.paused() ? undefined : this.source.nextOfRun(entry.entryId);
          if (next) {
            this.keeping.set(entry.entryId, next);
            this.following += 1;
          } else if (this.keysHeld() <= 2 * this.limit) {
            // keysHeld() still counts this message as running: its slot is freed right after.
            this.promised.add(entry.entryId);
          }
        }
        sink.ack(entry, outcome, id);
      },
      retry: (entry, item) => sink.retry(entry, item),
      dead: (entry, item) => sink.dead(entry, item),
      failedWithoutRetry: () => sink.failedWithoutRetry(),
    };
    this.processor = new DeliveryProcessor(laneDefinition, promisingSink, deps.logger, (entry) => {
      this.held.release(entry);
      this.lastInRow.delete(entry.entryId);
      if (entry.outcome === 'queued') this.scheduleAckFlush();
      if (this.runWaiting()) return;
      this.nudge();
      host.slotFreed();
    });
  }

  /** Ordered handlers running now (they occupy the worker's concurrency slots). */
  get running(): number {
    return this.held.active;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.listen();
    this.timers.start();
    this.loopDone = this.loop();
  }

  /** Cuts the current wait short: a slot freed, a key became ready, or shutdown. */
  nudge(): void {
    // A dormant lane ignores slot changes: it looks for ordered messages only on signals and timers.
    if (this.active) this.wake();
  }

  private wake(): void {
    const wake = this.waking;
    this.waking = undefined;
    if (wake) wake();
    else this.woken = true; // not waiting now: the next wait returns at once
  }

  async stop(deadline: number): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.wake();
    await this.loopDone;
    const running = this.held.running();
    await allSettledOrTimeout(
      running.map((entry) => entry.done),
      deadline - Date.now(),
    );
    const unfinished = running.filter((entry) => entry.running);
    if (unfinished.length > 0) {
      for (const entry of unfinished) {
        entry.abandoned = true;
        entry.message?.abort(new WorkerShutdownError(this.deps.keys.tag));
      }
      await allSettledOrTimeout(
        unfinished.map((entry) => entry.done),
        ABORT_GRACE_MS,
      );
      // Keys whose handler is over go back at once; one still running keeps its lease until it
      // expires (claimIdle), so no other worker starts that key while it may still run here.
      const settled = unfinished.filter((entry) => !entry.running).map((entry) => entry.entryId);
      await bounded(this.source.handBack(settled), ABORT_GRACE_MS);
    }
    await bounded(Promise.all(this.acking), ABORT_GRACE_MS);
    await bounded(this.sink.drain(), Math.max(ABORT_GRACE_MS, deadline - Date.now()));
    // Next messages of runs whose acks were just sent are handed back on the next turn.
    await new Promise((resolve) => setImmediate(resolve));
    this.handBackUnrun(this.waiting.splice(0).map((waiting) => waiting.delivery));
    await bounded(Promise.all(this.handingBack), ABORT_GRACE_MS);
    this.promised.clear();
    this.keeping.clear();
    this.following = 0;
    this.lastInRow.clear();
    this.timers.stopCleanup();
    this.timers.stopRefreshing();
    await this.source.close();
    this.held.clear();
    this.state = 'idle';
  }

  private async loop(): Promise<void> {
    const { claimIdle } = this;
    let idleMs = IDLE_MIN_MS;
    let failures = 0;
    while (this.state === 'running') {
      try {
        if (!this.active) {
          const inUse = await this.source.inUse();
          this.active ||= inUse; // a signal may have come meanwhile
          if (!this.active) {
            await this.sleep(claimIdle);
            continue;
          }
        }
        // Slots freed elsewhere (unordered handlers) go to next messages waiting before new keys.
        while (this.runWaiting());
        const free = this.takeable();
        if (free <= 0) {
          await this.sleep(IDLE_MAX_MS);
          continue;
        }
        if (this.host.paused()) {
          await this.sleep(PAUSED_MS);
          continue;
        }
        // Handlers finishing together free their slots together: one larger take, not many small ones.
        if (free < this.limit) await new Promise((resolve) => setImmediate(resolve));
        this.woken = false; // this take sees whatever woke us
        const taken = await this.takePages(this.takeable());
        failures = 0;
        if (taken.reclaimed > 0) {
          this.deps.logger.warn(
            `${taken.reclaimed} ordering keys of ${this.deps.keys.tag} were freed: their holder's lease expired`,
          );
        }
        if (taken.deliveries.length > 0) {
          idleMs = IDLE_MIN_MS;
          continue;
        }
        const ceiling = this.deps.signals.live ? SIGNALED_IDLE_MAX_MS : IDLE_MAX_MS;
        const untilReady = taken.nextReadyMs > 0 ? taken.nextReadyMs - Date.now() : ceiling;
        await this.sleep(Math.max(1, Math.min(untilReady, idleMs, ceiling)));
        idleMs = Math.min(idleMs * 2, ceiling);
      } catch (error) {
        if (this.state !== 'running') break;
        failures += 1;
        if (failures === 1)
          this.deps.logger.warn(`Taking ordered messages failed: ${errorMessage(error)}; retrying`);
        await this.sleep(Math.min(MAX_ERROR_BACKOFF_MS, 100 * 2 ** Math.min(failures - 1, 20)));
      }
    }
  }

  /**
   * Takes up to `max` keys with one call per TAKE_PAGE keys, all sent at once: the keys of the first
   * page start while the server still builds the runs of the next. Each page's keys are admitted as
   * it comes (an ack's next messages may have taken slots meanwhile); a failed page is thrown once
   * the others are admitted, so no lease taken is left unheld.
   */
  private async takePages(max: number): Promise<OrderedTake> {
    const pages: Promise<OrderedTake>[] = [];
    for (let left = max; left > 0; left -= TAKE_PAGE) pages.push(this.source.take(Math.min(left, TAKE_PAGE)));
    const deliveries: RawDelivery[] = [];
    let reclaimed = 0;
    let nextReadyMs = -1;
    let failure: unknown;
    for (const page of pages) {
      try {
        const taken = await page;
        reclaimed += taken.reclaimed;
        if (taken.nextReadyMs > 0 && (nextReadyMs < 0 || taken.nextReadyMs < nextReadyMs))
          nextReadyMs = taken.nextReadyMs;
        this.admit(taken.deliveries);
        deliveries.push(...taken.deliveries);
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure !== undefined && deliveries.length === 0) throw failure;
    return { deliveries, reclaimed, nextReadyMs };
  }

  /**
   * Writes the processed acks of handlers that finished in this event-loop turn on the next one,
   * without waiting for earlier ack writes: each key's next message comes back with its ack, so an
   * ack waiting behind another write would hold its key back.
   */
  private scheduleAckFlush(): void {
    if (this.ackFlushScheduled) return;
    this.ackFlushScheduled = true;
    setImmediate(() => {
      this.ackFlushScheduled = false;
      const entries = this.sink.takeProcessedAcks();
      if (entries.length === 0) return;
      const write = this.source.ack(entries, 'processed');
      this.sink.processedAcksSent(entries, write);
      const settled = write.catch(() => undefined); // the sink reports the failure and writes again
      this.acking.add(settled);
      void settled.finally(() => this.acking.delete(settled));
    });
  }

  private freeSlots(): number {
    return Math.min(this.limit - this.held.active, this.host.freeSlots());
  }

  /** Keys leased here: running, acks that may bring a next message, next messages waiting. */
  private keysHeld(): number {
    return this.held.active + this.promised.size + this.waiting.length + this.following;
  }

  /**
   * New keys to take now: free slots not owed to waiting next messages, and those of keys ending
   * their last message in a row (their replacements wait for them), within the keys held.
   */
  private takeable(): number {
    const owed = this.waiting.length + this.following;
    const free = Math.min(this.freeSlots() + this.lastInRow.size, this.host.freeSlots());
    return Math.min(free - owed, 2 * this.limit - this.keysHeld());
  }

  /**
   * The acks of `acked` were sent: the next messages of their runs start on the next turn, after
   * the ack's write has left (so a crash in the next handler cannot lose it, and a retry or dead
   * letter of the next message is written after it). Many runs go on together, in one admission.
   */
  private startNextOfRuns(acked: readonly { entryId: string }[]): void {
    const next: RawDelivery[] = [];
    for (const { entryId } of acked) {
      const delivery = this.keeping.get(entryId);
      if (!delivery) continue; // not a run's message, or a retried ack write: it started already
      this.keeping.set(entryId, undefined);
      next.push(delivery);
    }
    if (next.length === 0) return;
    setImmediate(() => {
      this.following -= next.length;
      if (this.state === 'running') this.source.started(next);
      this.admit(next);
    });
  }

  /** Leased messages (taken, or handed over by acks) run in the free slots now, or wait for one. */
  private admit(deliveries: RawDelivery[]): void {
    if (this.state !== 'running') return this.handBackUnrun(deliveries);
    const free = Math.max(0, this.freeSlots() - this.waiting.length);
    if (free > 0) this.dispatch(deliveries.slice(0, free));
    const at = Date.now();
    for (const delivery of deliveries.slice(free)) this.waiting.push({ delivery, at });
  }

  /**
   * Runs the oldest waiting next message in a slot just freed; true when one ran. One that waited
   * longer than a lease renewal period goes back instead: its lease is only renewed once it runs.
   */
  private runWaiting(): boolean {
    const stale: RawDelivery[] = [];
    let ran = false;
    while (!ran && this.waiting.length > 0 && this.state === 'running' && this.freeSlots() > 0) {
      const { delivery, at } = this.waiting.shift()!;
      if (Date.now() - at > this.claimIdle / 3) stale.push(delivery);
      else {
        this.dispatch([delivery]);
        ran = true;
      }
    }
    if (stale.length > 0) this.handBackUnrun(stale);
    return ran;
  }

  /** Gives back leased next messages that did not run here (their delivery does not count). */
  private handBackUnrun(deliveries: RawDelivery[]): void {
    if (deliveries.length === 0) return;
    const tokens = deliveries.map((delivery) => delivery.entryId);
    const handBack = this.source.handBack(tokens, false).catch((error: unknown) => {
      this.deps.logger.warn(`Handing back ordering keys failed: ${errorMessage(error)}; their leases expire`);
    });
    this.handingBack.add(handBack);
    void handBack.finally(() => this.handingBack.delete(handBack));
  }

  private dispatch(deliveries: Parameters<InFlightSet['hold']>[0]): void {
    const batch = this.held.hold(deliveries);
    let ending = false;
    for (const entry of batch) {
      if (this.source.endsRow(entry.entryId)) {
        this.lastInRow.add(entry.entryId);
        ending = true;
      }
      this.run(entry);
    }
    if (ending) this.nudge();
  }

  private run(entry: InFlight): void {
    entry.done = this.processor.process(entry); // never rejects; releases the slot when over
  }

  private sleep(ms: number): Promise<void> {
    if (this.state !== 'running' || this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waking = undefined;
        resolve();
      }, ms);
      timer.unref();
      this.waking = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** A send that makes the ready set non-empty publishes on its name: wake up. */
  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    const ready = (): void => {
      this.active = true;
      this.wake();
    };
    // After a (re)subscription: look once (a dormant lane asks whether ordered messages exist).
    const resync = (): void => this.wake();
    this.deps.signals.listen(this.source.keys.ready, { message: ready, resync });
  }
}
