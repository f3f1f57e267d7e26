import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import {
  catchError,
  defer,
  exhaustMap,
  map,
  of,
  shareReplay,
  Subject,
  takeUntil,
  timer,
  type Observable,
} from 'rxjs';
import type { ValkeyClient } from '../connection/create-client.js';
import type { QueueStats } from '../interfaces/queue-stats.interface.js';
import { queueKeys } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { DASHBOARD_OPTIONS } from './dashboard.constants.js';
import type { ResolvedDashboardOptions } from './dashboard-options.interface.js';
import { QueueDirectory } from './queue-directory.js';
import { readQueueStatsWithPriorities } from '../admin/priority-stats.js';
import { outTotal, stockOf, toQueueRow, type QueueRow } from './queue-row.js';

/** Samples kept per queue for the sparklines. */
const HISTORY_POINTS = 60;
/** Queues refreshed live; beyond this the overview still pages through all of them on request. */
export const MAX_LIVE_QUEUES = 1000;

interface Sample {
  at: number;
  out: number;
  stock: number;
}

/** The live figures sent to every open browser, one per refresh. @internal */
export interface LiveSnapshot {
  at: number;
  queues: QueueRow[];
  /** Per queue: out rate and lag of the last refreshes, oldest first. */
  history: Record<string, { out: number[]; lag: number[] }>;
  error?: string;
}

/**
 * One refresh per interval, shared by every open event stream: the first subscriber starts the
 * timer, later ones join it (and get the last snapshot at once), and when the last one leaves the
 * timer stops, so no browser open means no commands. Each refresh is one pipelined read of every
 * queue's stats (plus the cached SCAN of queue names). @internal
 */
@Injectable()
export class LiveFeed implements BeforeApplicationShutdown {
  private readonly logger = new Logger(LiveFeed.name);
  private readonly closing = new Subject<void>();
  private readonly samples = new Map<string, Sample[]>();
  private readonly lags = new Map<string, number[]>();
  readonly directory: QueueDirectory;
  /** The shared stream of snapshots. */
  readonly snapshots$: Observable<LiveSnapshot>;

  constructor(
    @Inject(VALKEY_QUEUE_CLIENT) private readonly client: ValkeyClient,
    @Inject(DASHBOARD_OPTIONS) options: ResolvedDashboardOptions,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly queueOptions: ResolvedValkeyQueueOptions,
  ) {
    // Queue names change rarely: rescan every few refreshes, not on each.
    this.directory = new QueueDirectory(
      client,
      queueOptions.prefix,
      Math.max(5_000, options.refreshInterval * 5),
    );
    this.snapshots$ = timer(0, options.refreshInterval).pipe(
      exhaustMap(() =>
        defer(() => this.refresh()).pipe(
          catchError((error: unknown) => {
            this.logger.warn(`Dashboard refresh failed: ${errorMessage(error)}`);
            return of({ at: Date.now(), queues: [], history: {}, error: errorMessage(error) });
          }),
        ),
      ),
      shareReplay({ bufferSize: 1, refCount: true }),
    );
  }

  /** Server-Sent Events payloads, until the app shuts down. */
  events(): Observable<{ data: LiveSnapshot }> {
    return this.snapshots$.pipe(
      takeUntil(this.closing),
      map((data) => ({ data })),
    );
  }

  /**
   * Ends every open event stream before the HTTP server closes: the server waits for open
   * connections, so a browser left on the dashboard would otherwise hold the app's shutdown.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing.next();
    this.closing.complete();
    // Let the ended responses flush, so the server finds their connections idle and closes them.
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Rates from the live samples, null when fewer than two exist. */
  ratesOf(queue: string): QueueRow['rates'] {
    const samples = this.samples.get(queue);
    if (!samples || samples.length < 2) return null;
    const [before, last] = [samples[samples.length - 2], samples[samples.length - 1]];
    const seconds = Math.max(0.001, (last.at - before.at) / 1000);
    const out = Math.max(0, last.out - before.out) / seconds;
    const into = Math.max(0, last.stock - before.stock + last.out - before.out) / seconds;
    return { in: round(into), out: round(out) };
  }

  /** Reads every queue's stats in one pipelined round trip and records a sample of each. */
  async refresh(): Promise<LiveSnapshot> {
    const names = (await this.directory.names()).slice(0, MAX_LIVE_QUEUES);
    const targets = names.map((queue) => ({ queue, keys: queueKeys(this.queueOptions.prefix, queue) }));
    const results = await readQueueStatsWithPriorities(this.client, targets);
    const at = Date.now();
    const queues: QueueRow[] = [];
    const history: LiveSnapshot['history'] = {};
    results.forEach((stats, index) => {
      if (stats instanceof Error) return;
      this.record(names[index], at, stats);
      queues.push(toQueueRow(stats, this.ratesOf(names[index])));
      history[names[index]] = this.historyOf(names[index]);
    });
    return { at, queues, history };
  }

  private record(queue: string, at: number, stats: QueueStats): void {
    const samples = this.samples.get(queue) ?? [];
    samples.push({ at, out: outTotal(stats), stock: stockOf(stats) });
    if (samples.length > HISTORY_POINTS + 1) samples.shift();
    this.samples.set(queue, samples);
    const lags = this.lags.get(queue) ?? [];
    lags.push(stats.lag);
    if (lags.length > HISTORY_POINTS) lags.shift();
    this.lags.set(queue, lags);
  }

  private historyOf(queue: string): { out: number[]; lag: number[] } {
    const samples = this.samples.get(queue) ?? [];
    const out: number[] = [];
    for (let index = 1; index < samples.length; index++) {
      const seconds = Math.max(0.001, (samples[index].at - samples[index - 1].at) / 1000);
      out.push(round(Math.max(0, samples[index].out - samples[index - 1].out) / seconds));
    }
    return { out, lag: [...(this.lags.get(queue) ?? [])] };
  }
}

const round = (value: number): number => Math.round(value * 10) / 10;
