import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { SIGNALED_RECHECK_MS } from '../delayed/delayed-promoter.js';
import type { QueueTransport } from '../interfaces/queue-transport.interface.js';
import { announce } from '../signals/announce.js';
import { QueueSignals } from '../signals/queue-signals.js';
import { ValkeyQueueMetrics } from '../observability/valkey-queue-metrics.service.js';
import { toListElement, toStreamFields, type Envelope } from '../envelope/envelope.js';
import { parsePriority, priorityKey } from '../envelope/priority.js';
import { PriorityAnnouncer } from '../signals/priority-announcer.js';
import { fireOrderedTicks } from './fire-ordered-ticks.js';
import { queueKeys, scheduleIndexKey } from '../utils/keys.util.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { normalizeSchedule } from './schedule-definition.js';
import { firstTick, planFires, type ScheduleTiming } from './schedule-timing.js';
import type { ScheduleDefinition, ScheduleInfo } from '../interfaces/schedule.interface.js';

/** Headers every tick message carries: the schedule's name and the tick time (epoch ms). */
export const SCHEDULE_HEADER = 'vq-schedule';
export const TICK_HEADER = 'vq-tick';
/** Due schedules handled per queue per pass. */
const DUE_PAGE = 100;

interface IndexEntry {
  queue: string;
  transport: QueueTransport;
}

/**
 * Cron and interval schedules stored in Valkey, shared by every app instance. Each tick appends
 * one message (envelope id `<name>:<tickMs>`) to the schedule's queue, exactly once however many
 * instances run: fire-schedule.lua compares and advances the next-tick score atomically.
 *
 * Every instance sleeps until the next tick. A new or changed schedule is published on the schedule
 * index's channel, so instances also wake for ticks others scheduled; only without signals
 * (QueueSignals not live) is the sleep capped at `scheduler.pollInterval`. "Now" is the server's clock.
 */
@Injectable()
export class QueueScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(QueueScheduler.name);
  private readonly priorities = new PriorityAnnouncer();
  private readonly indexKey: string;
  private timer?: NodeJS.Timeout;
  private wakeAt = Infinity;
  private running?: Promise<void>;
  private rerun = false;
  private failing = false;
  private closed = false;

  constructor(
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    private readonly signals: QueueSignals,
    private readonly metrics: ValkeyQueueMetrics,
  ) {
    this.indexKey = scheduleIndexKey(options.prefix);
  }

  /**
   * Creates or replaces the schedule `definition.name`. Upserting an identical definition changes
   * nothing (its run count and next tick stay), so every instance can upsert at startup.
   * Rejects with `InvalidScheduleError` (bad cron, time zone, interval...) before writing anything.
   */
  async upsert<T>(definition: ScheduleDefinition<T>): Promise<void> {
    const { sender } = this.options;
    const schedule = normalizeSchedule(
      definition,
      await this.serverNow(),
      sender.codec,
      sender.maxPayloadBytes,
    );
    const keys = queueKeys(this.options.prefix, schedule.queue);
    const previous = await this.indexEntry(schedule.name);
    if (previous && previous.queue !== schedule.queue)
      await this.removeFromQueue(schedule.name, previous.queue);
    // Index first: a runner that finds an index entry without its schedule simply sees nothing due.
    const entry: IndexEntry = { queue: schedule.queue, transport: schedule.transport };
    await this.client.hset(this.indexKey, schedule.name, JSON.stringify(entry));
    const first = firstTick(schedule.timing) ?? -1;
    await this.client.vqUpsertSchedule(
      keys.schedules,
      keys.schedule(schedule.name),
      schedule.name,
      schedule.canonical,
      JSON.stringify(schedule.timing),
      schedule.payload,
      JSON.stringify(schedule.headers),
      schedule.transport,
      first,
      schedule.labels ? JSON.stringify(schedule.labels) : '',
      schedule.priority ?? '',
      schedule.orderingKey ?? '',
    );
    this.wakeBy(first);
    // Other instances sleep until the ticks they know of: tell them about this one.
    if (first >= 0) await announce(this.client, this.indexKey, String(first));
  }

  /** Stops a schedule's future ticks. Resolves whether it existed. */
  async remove(name: string): Promise<boolean> {
    const entry = await this.indexEntry(name);
    if (!entry) return false;
    const removed = await this.removeFromQueue(name, entry.queue);
    await this.client.hdel(this.indexKey, name);
    return removed;
  }

  /** Every schedule, sorted by name, with its next and last run. */
  async list(): Promise<ScheduleInfo[]> {
    const index = await this.client.hgetall(this.indexKey);
    const names = Object.keys(index).sort();
    // Separate commands, not one pipeline: on Cluster the schedules' queues live in different slots.
    // Auto-pipelining still sends them together.
    const replies = await Promise.all(
      names.map((name) => {
        const keys = queueKeys(this.options.prefix, (JSON.parse(index[name]) as IndexEntry).queue);
        return Promise.all([
          this.client.hgetall(keys.schedule(name)),
          this.client.zscore(keys.schedules, name),
        ]);
      }),
    );
    return names.flatMap((name, position) => {
      const [stored, nextScore] = replies[position];
      return stored?.timing
        ? [toScheduleInfo(name, (JSON.parse(index[name]) as IndexEntry).queue, stored, nextScore)]
        : [];
    });
  }

  onApplicationBootstrap(): void {
    this.wake(0);
    this.signals.listen(this.indexKey, {
      message: (tick) => this.wakeBy(Number(tick)),
      resync: () => this.wakeBy(0),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private get client() {
    return this.connection.client;
  }

  private async removeFromQueue(name: string, queue: string): Promise<boolean> {
    const keys = queueKeys(this.options.prefix, queue);
    return (await this.client.vqRemoveSchedule(keys.schedules, keys.schedule(name), name)) === 1;
  }

  private async indexEntry(name: string): Promise<IndexEntry | undefined> {
    const raw = await this.client.hget(this.indexKey, name);
    return raw ? (JSON.parse(raw) as IndexEntry) : undefined;
  }

  private async serverNow(): Promise<number> {
    const [seconds, micros] = await this.client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  /** Runs sooner if a tick at `tickMs` comes before the planned wake-up (local clock is close enough here). */
  private wakeBy(tickMs: number): void {
    if (tickMs < 0 || this.closed) return;
    if (this.running) this.rerun = true;
    else if (tickMs < this.wakeAt) this.wake(Math.max(0, tickMs - Date.now()));
  }

  private wake(delayMs: number): void {
    clearTimeout(this.timer);
    this.wakeAt = Date.now() + delayMs;
    this.timer = setTimeout(() => {
      this.wakeAt = Infinity;
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
  }

  /** One pass over every queue with schedules: fire what is due, then sleep until the next tick. */
  private async pass(): Promise<void> {
    const { pollInterval } = this.options.scheduler;
    let sleepMs = this.signals.live ? SIGNALED_RECHECK_MS : pollInterval;
    try {
      this.rerun = false;
      const index = await this.client.hgetall(this.indexKey);
      const queues = new Set(Object.values(index).map((raw) => (JSON.parse(raw) as IndexEntry).queue));
      const now = await this.serverNow();
      for (const queue of queues) {
        const nextDue = await this.fireDue(queue, now);
        if (nextDue !== undefined) sleepMs = Math.min(sleepMs, Math.max(0, nextDue - now));
      }
      if (this.failing) this.logger.log('Schedules are firing again');
      this.failing = false;
    } catch (error) {
      if (!this.failing && !this.closed)
        this.logger.warn(`Firing schedules failed: ${errorMessage(error)}; retrying`);
      this.failing = true;
      sleepMs = pollInterval;
    }
    if (this.rerun) sleepMs = 0;
    if (!this.closed) this.wake(sleepMs);
  }

  /** Fires the due schedules of one queue; resolves the next tick still ahead, if any. */
  private async fireDue(queue: string, now: number): Promise<number | undefined> {
    const keys = queueKeys(this.options.prefix, queue);
    const upcoming = await this.client.zrange(keys.schedules, '0', String(DUE_PAGE - 1), 'WITHSCORES');
    // The next ticks of what fired here are not in `upcoming`: the earliest of them counts too.
    let next: number | undefined;
    const sooner = (tick: number | undefined): number | undefined =>
      tick === undefined ? next : next === undefined ? tick : Math.min(next, tick);
    for (let position = 0; position < upcoming.length; position += 2) {
      const [name, score] = [upcoming[position], Number(upcoming[position + 1])];
      if (score > now) return sooner(score);
      next = sooner(await this.fire(queue, name, score, now));
    }
    return upcoming.length === DUE_PAGE * 2 ? now : next; // a full page: look again at once
  }

  /** Fires one due schedule (unless another instance just did); resolves its next tick, if any. */
  private async fire(queue: string, name: string, due: number, now: number): Promise<number | undefined> {
    const keys = queueKeys(this.options.prefix, queue);
    const stored = await this.client.hgetall(keys.schedule(name));
    if (!stored.timing) return undefined; // removed since the ZRANGE
    const timing = JSON.parse(stored.timing) as ScheduleTiming;
    const tolerance = 2 * this.options.scheduler.pollInterval + 1_000;
    const plan = planFires(timing, due, now, Number(stored.runs ?? 0), tolerance);
    const transport = stored.transport as QueueTransport;
    const headers = JSON.parse(stored.headers ?? '{}') as Record<string, string>;
    const labels = stored.labels ? (JSON.parse(stored.labels) as Record<string, string>) : undefined;
    const priority = parsePriority(stored.priority) ?? 0;
    const messages = plan.fires.map((tick) => {
      const envelope: Envelope = {
        id: `${name}:${tick}`,
        payload: stored.payload,
        headers: { ...headers, [SCHEDULE_HEADER]: name, [TICK_HEADER]: String(tick) },
        createdAt: tick,
        attempt: 1,
      };
      if (labels) envelope.labels = labels;
      if (priority > 0) envelope.priority = priority;
      return transport === 'list' ? [toListElement(envelope)] : toStreamFields(envelope);
    });
    if (stored.orderingKey) {
      const ticks = { name, due, next: plan.next ?? -1, last: plan.fires.at(-1) ?? '' };
      const appended = await fireOrderedTicks(this.client, keys, ticks, stored.orderingKey, messages);
      if (appended > 0) this.metrics.scheduleFired(queue, name, appended);
      return appended === 0 ? now : (plan.next ?? undefined);
    }
    const target = transport === 'list' ? keys.list : keys.stream;
    const fired = await this.client.vqFireSchedule(
      keys.schedules,
      keys.schedule(name),
      priorityKey(target, priority),
      name,
      due,
      plan.next ?? -1,
      transport,
      messages[0]?.length ?? 1,
      plan.fires.at(-1) ?? '',
      ...messages.flat(),
    );
    if (fired > 0) {
      if (priority > 0) this.priorities.announce(this.client, target, priority);
      this.metrics.scheduleFired(queue, name, fired);
      this.logger.debug(`Schedule '${name}' fired ${fired} tick(s) on '${queue}'`, {
        schedule: name,
        queue,
        ticks: fired,
      });
    }
    // Lost the race to another instance: its plan may differ (catch-up), so read the score again.
    if (fired === 0) return now;
    return plan.next ?? undefined;
  }
}

function toScheduleInfo(
  name: string,
  queue: string,
  stored: Record<string, string>,
  nextScore: string | null,
): ScheduleInfo {
  const timing = JSON.parse(stored.timing) as ScheduleTiming;
  const info: ScheduleInfo = {
    name,
    queue,
    transport: stored.transport as QueueTransport,
    timezone: timing.timezone,
    catchUp: timing.catchUp,
    runs: Number(stored.runs ?? 0),
    nextRunAt: nextScore === null ? null : new Date(Number(nextScore)),
    priority: parsePriority(stored.priority) ?? 0,
  };
  if (stored.labels) info.labels = JSON.parse(stored.labels) as Record<string, string>;
  if (stored.orderingKey) info.orderingKey = stored.orderingKey;
  if (timing.cron !== undefined) info.cron = timing.cron;
  if (timing.every !== undefined) info.every = timing.every;
  if (timing.startAt !== undefined) info.startAt = new Date(timing.startAt);
  if (timing.endAt !== undefined) info.endAt = new Date(timing.endAt);
  if (timing.limit !== undefined) info.limit = timing.limit;
  if (stored.lastRunAt) info.lastRunAt = new Date(Number(stored.lastRunAt));
  return info;
}
