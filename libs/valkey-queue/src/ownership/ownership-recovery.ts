import { Logger } from '@nestjs/common';
import { errorMessage } from '../utils/with-timeout.util.js';
import { parseLbsEntry } from './lbs-entry.js';
import type { ResolvedOwnershipOptions } from '../config/ownership-options.schema.js';
import type { OwnershipStore, TakeResult } from './ownership-store.js';

/** Pages of pending LBS entries one recovery pass looks at, at most. */
const MAX_PAGES = 1_000;

/**
 * Startup and periodic recovery: reassigns LBS entries whose lease is absent: assignments nobody
 * claimed within `recoveryIdle` after their lease lapsed, and entries delivered to an instance that
 * died before taking them. It pages through the pending entries idle for at least `recoveryIdle`
 * (XPENDING IDLE, following the cursor to the end), skips every entry with a live lease (heartbeats
 * do not refresh LBS idle times, so idleness alone never means abandoned), and takes the rest with
 * take-lease.lua, which re-checks everything atomically. A failure ends the pass, not the recovery.
 * @internal
 */
export class OwnershipRecovery {
  private readonly logger = new Logger('StreamOwnershipService');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly store: OwnershipStore,
    private readonly settings: Pick<ResolvedOwnershipOptions, 'recoveryIdle' | 'recoveryCount'>,
    private readonly adopt: (
      stream: string,
      result: Extract<TakeResult, { status: 'taken' }>,
      sentAt: number,
    ) => void,
  ) {}

  /** Runs a pass now, then every `recoveryIdle`. */
  start(): void {
    if (!this.timer && !this.stopped) this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.schedule(this.settings.recoveryIdle);
      });
    }, delay);
  }

  private async pass(): Promise<void> {
    const { recoveryIdle, recoveryCount } = this.settings;
    let recovered = 0;
    try {
      let cursor = '-';
      for (let page = 0; page < MAX_PAGES && !this.stopped; page += 1) {
        const entries = await this.store.pendingPage(cursor, recoveryIdle, recoveryCount);
        if (entries.length === 0) break;
        cursor = entries[entries.length - 1][0];
        const candidates: { id: string; stream: string }[] = [];
        for (const [id, fields] of entries) {
          if (!fields) {
            await this.store.ackGone(id);
            continue;
          }
          const parsed = parseLbsEntry(fields);
          if ('error' in parsed) await this.store.deadLetter(id, parsed.error);
          else candidates.push({ id, stream: parsed.stream });
        }
        const states = await this.store.inspect(candidates.map(({ stream }) => stream));
        for (const [index, { id, stream }] of candidates.entries()) {
          const state = states[index];
          // A live lease is never touched, unless this entry is a duplicate of the stream's own entry.
          if (this.stopped || (state.lease !== null && state.entryId === id)) continue;
          if (state.lease !== null && state.entryId === null) continue;
          const sentAt = Date.now();
          const result = await this.store.take(stream, 'recover', id, recoveryIdle);
          if (result.status === 'taken') {
            recovered += 1;
            this.adopt(stream, result, sentAt);
          }
        }
        if (entries.length < recoveryCount) break;
      }
      if (recovered > 0) this.logger.log(`Recovered ${recovered} stream(s) whose lease was absent`);
      if (this.failing) this.logger.log('Ownership recovery works again');
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.stopped)
        this.logger.warn(`Ownership recovery failed: ${errorMessage(error)}; retrying`);
      this.failing = true;
    }
  }
}
