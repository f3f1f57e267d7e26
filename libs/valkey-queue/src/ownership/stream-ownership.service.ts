import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Subject, type Observable } from 'rxjs';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { LeaseLostError } from '../errors/lease-lost.error.js';
import { OwnershipConflictError } from '../errors/ownership-conflict.error.js';
import { OwnershipNotConfiguredError } from '../errors/ownership-not-configured.error.js';
import { OwnershipStoppedError } from '../errors/ownership-stopped.error.js';
import { StreamNotAssignedError } from '../errors/stream-not-assigned.error.js';
import { ownershipKeys } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { consumerId } from './consumer-id.js';
import { ExpiryWatcher } from './expiry-watcher.js';
import { assertStreamName, decodeInfo, encodeInfo } from './lbs-entry.js';
import { LbsReader } from './lbs-reader.js';
import { LeaseBook, type HeldLease, type LossReason } from './lease-book.js';
import type { OwnershipEvent, OwnershipLease } from './ownership-event.interface.js';
import type { ResolvedOwnershipOptions } from '../config/ownership-options.schema.js';
import { isUnrecoverable } from './ownership-errors.js';
import { OwnershipRecovery } from './ownership-recovery.js';
import { OwnershipStore, type StreamState, type TakeResult } from './ownership-store.js';

/** 'expired' tokens remembered per stream (so nothing is emitted twice); the oldest are forgotten first. */
const EXPIRED_MEMORY = 10_000;

/**
 * Stream ownership: whole data streams (one per user session, device, tenant...) handed to one
 * consumer at a time. `assign()` appends to the service's load-balancer stream (LBS); each entry
 * reaches one instance, which takes a lease (with a fencing token), starts its heartbeat and then
 * emits `'added'`. A lease that lapses (crash, stall) is announced as `'expired'` on every
 * instance, and `claim()` takes it over: exactly one claimer wins.
 *
 * Active only with the module option `ownership`; otherwise every method rejects with
 * `OwnershipNotConfiguredError`. At application shutdown every unfinished stream is handed back
 * (lease dropped, LBS entry not acknowledged, `'expired'` published), then `'terminated'` is
 * emitted and `events$` completes. See docs/ownership.md.
 */
@Injectable()
export class StreamOwnershipService
  implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown
{
  private readonly logger = new Logger(StreamOwnershipService.name);
  private readonly events = new Subject<OwnershipEvent>();
  /**
   * Every ownership change seen by this instance: `added`, `expired`, `disowned`, then `terminated`
   * once before it completes. Hot: late subscribers get later events only. A subscriber that throws
   * does not stop it, and a slow one never delays heartbeats.
   */
  readonly events$: Observable<OwnershipEvent> = this.events.asObservable();
  /** This instance's consumer id (the lease owner); undefined when ownership is not configured. */
  readonly consumerId?: string;
  private readonly settings?: ResolvedOwnershipOptions;
  private readonly store?: OwnershipStore;
  private readonly book?: LeaseBook;
  private readonly reader?: LbsReader;
  private readonly watcher?: ExpiryWatcher;
  private readonly recovery?: OwnershipRecovery;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly expiredTokens = new Map<string, number>();
  private state: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private stopReason = '';
  private stopping?: Promise<void>;

  constructor(
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) options: ResolvedValkeyQueueOptions,
  ) {
    const settings = options.ownership;
    if (!settings) return;
    this.settings = settings;
    this.consumerId = consumerId(settings.consumer);
    const keys = ownershipKeys(options.prefix, settings.service);
    const store = new OwnershipStore(
      connection.client,
      keys,
      settings.service,
      this.consumerId,
      settings.leaseTtl,
    );
    this.store = store;
    const safetyMargin = Math.min(1_000, Math.max(100, Math.round(settings.leaseTtl / 10)));
    this.book = new LeaseBook(store, { ...settings, safetyMargin }, (lease, reason) =>
      this.onLost(lease, reason),
    );
    this.reader = new LbsReader(
      connection,
      store,
      (stream, result, sentAt) => this.adopt(stream, result, sentAt, true),
      (error) => {
        void this.terminate(`unrecoverable error: ${errorMessage(error)}`);
      },
    );
    this.watcher = new ExpiryWatcher(connection, store, settings.sweepInterval, (streams) =>
      this.check(streams),
    );
    this.recovery = new OwnershipRecovery(store, settings, (stream, result, sentAt) =>
      this.adopt(stream, result, sentAt, true),
    );
  }

  /**
   * Producer side: hands `stream` to one instance of the service (the LBS input). Resolves once the
   * assignment is stored; the instance that takes it emits `'added'` with `info`. Assigning a stream
   * that is still assigned (not yet released) is a no-op.
   */
  async assign(stream: string, info?: Record<string, unknown>): Promise<void> {
    const store = this.active('assign', false);
    assertStreamName(stream);
    await store.assign(stream, encodeInfo(stream, info));
  }

  /**
   * Takes over an assigned stream whose lease is not live (typically after `'expired'`), with a
   * fencing token greater than every earlier one. Rejects with `OwnershipConflictError` while any
   * lease is live (of N concurrent claimers exactly one wins) and with `StreamNotAssignedError`
   * for a stream never assigned or already completed. No `'added'` event: the lease is the result.
   */
  async claim(stream: string): Promise<OwnershipLease> {
    const store = this.active('claim');
    assertStreamName(stream);
    const sentAt = Date.now();
    const result = await this.track(store.take(stream, 'claim'));
    if (result.status === 'taken') return this.adopt(stream, result, sentAt, false);
    if (result.status === 'held') throw new OwnershipConflictError(stream, holderOf(result.holder));
    throw new StreamNotAssignedError(stream);
  }

  /**
   * Done with one stream: deletes our lease and acknowledges its LBS entry, only while the lease is
   * still ours. Otherwise rejects with `LeaseLostError` and acknowledges nothing.
   */
  async release(stream: string): Promise<void> {
    const store = this.active('release');
    assertStreamName(stream);
    const held = this.book?.get(stream);
    if (!held) throw new LeaseLostError([stream], 'this instance does not hold it');
    const status = await this.track(store.release(held));
    if (status === 1) {
      this.book?.drop(held, 'released');
      return;
    }
    this.book?.lose(held, status === 0 ? 'lapsed' : 'taken');
    throw new LeaseLostError([stream]);
  }

  /**
   * Done with every stream this instance holds: completes each (as `release`). Rejects with one
   * `LeaseLostError` naming every stream whose lease was already lost; the others are completed.
   */
  async releaseAll(): Promise<void> {
    this.active('releaseAll');
    const results = await Promise.allSettled(this.owned().map((stream) => this.release(stream)));
    const lost: string[] = [];
    for (const result of results) {
      if (result.status === 'fulfilled') continue;
      if (!(result.reason instanceof LeaseLostError)) throw result.reason;
      lost.push(...result.reason.streams);
    }
    if (lost.length > 0) throw new LeaseLostError(lost);
  }

  /** Streams this instance holds a live lease on, right now. */
  owned(): string[] {
    return this.book?.streams() ?? [];
  }

  async onApplicationBootstrap(): Promise<void> {
    const { store, settings } = this;
    if (!store || !settings || this.state !== 'idle') return;
    this.state = 'running';
    try {
      await store.ensureGroup();
    } catch (error) {
      if (isUnrecoverable(error))
        return void (await this.terminate(`unrecoverable error: ${errorMessage(error)}`));
      this.logger.warn(`Creating the LBS consumer group failed: ${errorMessage(error)}; the reader retries`);
    }
    this.book?.start();
    this.reader?.start();
    await this.watcher?.start();
    this.recovery?.start();
    this.logger.log(
      `Stream ownership '${settings.service}' as '${this.consumerId}' (lease ${settings.leaseTtl} ms, ` +
        `heartbeat ${settings.heartbeatInterval} ms)`,
    );
  }

  /** Hands every unfinished stream back before the connections close. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.terminate('shutdown');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.terminate('shutdown');
  }

  /** Stops everything, hands the held leases back, emits `'terminated'` and completes `events$`. Once. */
  private terminate(reason: string): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.stopReason = reason;
    this.state = 'stopping';
    await Promise.all([this.reader?.stop(), this.watcher?.stop(), this.recovery?.stop(), this.book?.stop()]);
    await Promise.allSettled([...this.inFlight]);
    const { book, store } = this;
    if (book && store) {
      await Promise.all(
        book.all().map(async (lease) => {
          await store.handBack(lease).catch((error: unknown) => {
            this.logger.warn(
              `Handing '${lease.stream}' back failed (${errorMessage(error)}): its lease will lapse`,
            );
          });
          book.drop(lease, 'handed-back');
        }),
      );
    }
    this.state = 'stopped';
    if (reason !== 'shutdown') this.logger.error(`Stream ownership terminated: ${reason}`);
    this.events.next({ type: 'terminated', reason });
    this.events.complete();
  }

  /** The store, once checked that ownership is configured (and running, for consumer-side calls). */
  private active(method: string, consumerSide = true): OwnershipStore {
    if (!this.store) throw new OwnershipNotConfiguredError(method);
    if (consumerSide && (this.state === 'stopping' || this.state === 'stopped')) {
      throw new OwnershipStoppedError(this.stopReason);
    }
    return this.store;
  }

  /** Keeps an operation in the set the shutdown waits for, so no lease taken meanwhile escapes the hand-back. */
  private track<T>(operation: Promise<T>): Promise<T> {
    this.inFlight.add(operation);
    const forget = (): void => void this.inFlight.delete(operation);
    operation.then(forget, forget);
    return operation;
  }

  /** Records a lease just taken (heartbeat covers it from now on), then reports it. */
  private adopt(
    stream: string,
    result: Extract<TakeResult, { status: 'taken' }>,
    sentAt: number,
    added: boolean,
  ) {
    const book = this.book as LeaseBook;
    const held = book.hold(stream, result.token, sentAt);
    book.start();
    const lease: OwnershipLease = {
      stream,
      owner: this.consumerId as string,
      token: held.token,
      expiresAt: new Date(held.expiresAt),
      signal: held.controller.signal,
    };
    // While stopping, the lease is only held to be handed back; nobody is told about it.
    if (added && this.state === 'running')
      this.emit({ type: 'added', stream, info: decodeInfo(result.info), lease });
    return lease;
  }

  /** Streams whose lease may have lapsed (notifications, hand-backs, sweeper): emit what is true now. */
  private async check(streams: string[]): Promise<void> {
    if (this.state !== 'running' || !this.store) return;
    const states = await this.store.inspect(streams);
    if (this.state !== 'running') return;
    for (const state of states) {
      const held = this.book?.get(state.stream);
      // Our lease lapsed or was taken (a state read before our take would show an older token).
      if (held && state.token >= held.token && state.lease !== held.value) {
        this.book?.lose(held, state.lease === null ? 'lapsed' : 'taken');
      }
      if (state.lease === null && state.assigned) this.emitExpired(state);
    }
  }

  private emitExpired({ stream, token, info }: StreamState): void {
    if ((this.expiredTokens.get(stream) ?? 0) >= token) return;
    this.expiredTokens.delete(stream); // re-inserted last: the map forgets the stalest streams first
    this.expiredTokens.set(stream, token);
    if (this.expiredTokens.size > EXPIRED_MEMORY) {
      this.expiredTokens.delete(this.expiredTokens.keys().next().value as string);
    }
    this.emit({ type: 'expired', stream, info: decodeInfo(info), lastToken: token });
  }

  /** A held lease was lost: 'disowned' once; a lease given up on the local deadline is handed back at once. */
  private onLost(lease: HeldLease, reason: LossReason): void {
    this.logger.warn(`Lost the lease on '${lease.stream}' (token ${lease.token}): ${reason}`, {
      stream: lease.stream,
      token: lease.token,
      reason,
    });
    if (this.state === 'running' || this.state === 'idle') {
      this.emit({ type: 'disowned', stream: lease.stream, token: lease.token });
    }
    if (reason === 'deadline' && this.store) {
      // The server may still hold it for us: give it back so the others need not wait for the TTL.
      void this.track(this.store.handBack(lease)).catch(() => undefined);
    }
  }

  private emit(event: OwnershipEvent): void {
    if (!this.events.closed) this.events.next(event);
  }
}

/** The consumer id in a lease value `<owner>:<token>`. */
const holderOf = (value: string): string => value.slice(0, value.lastIndexOf(':'));
