import type { Logger } from '@nestjs/common';
import type { AckOutcome, DeadItem, MessageSource, RetryItem } from './message-source.interface.js';
import { OutcomeBatcher } from './outcome-batcher.js';
import type { InFlight, OutcomeSink } from './worker-definition.js';

type Job<T> = T & { readonly entry: InFlight };

/** What the sink reports back to the consumer. @internal */
export interface SinkCallbacks {
  /** The entry's outcome is written (or given up); it is no longer held. */
  written(entry: InFlight): void;
  /** Retries were scheduled; the shortest delay among them, so the promoter can wake in time. */
  retried(minDelayMs: number): void;
}

/**
 * The consumer's outcomes, batched per kind: acks (processed / skipped / expired), retries and
 * dead-letter moves each become one script call per event-loop turn, over many entries. @internal
 */
export class OutcomeSinkBatches implements OutcomeSink {
  private readonly acks: Record<AckOutcome, OutcomeBatcher<InFlight>>;
  private readonly retries: OutcomeBatcher<Job<RetryItem>>;
  private readonly deadLetters: OutcomeBatcher<Job<DeadItem>>;

  constructor(
    private readonly source: MessageSource,
    private readonly logger: Logger,
    private readonly callbacks: SinkCallbacks,
  ) {
    const settled = <T extends { entry: InFlight }>(jobs: T[]): void => {
      for (const job of jobs) callbacks.written(job.entry);
    };
    // The in-flight record is the ack item itself (entryId, id): no allocation per ack.
    // Processed acks wait one more turn, so the read loop can send them with its next read.
    const ackBatcher = (outcome: AckOutcome): OutcomeBatcher<InFlight> =>
      new OutcomeBatcher<InFlight>(
        `acknowledgements (${outcome})`,
        (entries) => source.ack(entries, outcome),
        (entries) => {
          for (const entry of entries) callbacks.written(entry);
        },
        logger,
        outcome === 'processed',
      );
    this.acks = {
      processed: ackBatcher('processed'),
      skipped: ackBatcher('skipped'),
      expired: ackBatcher('expired'),
    };
    this.retries = new OutcomeBatcher<Job<RetryItem>>(
      'retries',
      (jobs) => this.writeRetries(jobs),
      settled,
      logger,
    );
    this.deadLetters = new OutcomeBatcher<Job<DeadItem>>(
      'dead letters',
      (jobs) => this.writeDead(jobs),
      settled,
      logger,
    );
  }

  ack(entry: InFlight, outcome: AckOutcome, id: string): void {
    entry.outcome = 'queued';
    entry.id = id;
    this.acks[outcome].add(entry);
  }

  retry(entry: InFlight, item: RetryItem): void {
    entry.outcome = 'queued';
    this.retries.add({ ...item, entry });
  }

  dead(entry: InFlight, item: DeadItem): void {
    entry.outcome = 'queued';
    this.deadLetters.add({ ...item, entry });
  }

  /** Processed acks waiting to be written, handed to the read loop to send with its next read. */
  takeProcessedAcks(): InFlight[] {
    return this.acks.processed.take();
  }

  /** The outcome of acks the read loop took: written, or queued again (also when not sent at all). */
  processedAcksSent(entries: InFlight[], result: Promise<void> | undefined): void {
    if (!result) return this.acks.processed.giveBack(entries);
    result.then(
      () => this.acks.processed.report(entries),
      (error: unknown) => this.acks.processed.report(entries, error),
    );
  }

  failedWithoutRetry(): void {
    this.source.countFailures(1).catch(() => undefined);
  }

  /** Writes every waiting outcome (shutdown). */
  async drain(): Promise<void> {
    await Promise.all(
      [...Object.values(this.acks), this.retries, this.deadLetters].map((batcher) => batcher.drain()),
    );
  }

  private async writeRetries(jobs: Job<RetryItem>[]): Promise<void> {
    const scheduled = await this.source.retry(jobs);
    let minDelay = Infinity;
    jobs.forEach((job, index) => {
      if (scheduled[index]) minDelay = Math.min(minDelay, job.delayMs);
      else this.logger.debug(`Retry of ${job.id} skipped: another consumer holds it now`);
    });
    if (minDelay !== Infinity) this.callbacks.retried(minDelay);
  }

  private async writeDead(jobs: Job<DeadItem>[]): Promise<void> {
    const moved = await this.source.moveToDead(jobs);
    jobs.forEach((job, index) => {
      if (!moved[index])
        this.logger.debug(`Dead-letter move of ${job.entryId} skipped: another consumer holds it now`);
    });
  }
}
