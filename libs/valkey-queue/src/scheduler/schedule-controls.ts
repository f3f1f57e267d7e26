import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import type { ValkeyClient } from '../connection/create-client.js';
import { toListElement, toStreamFields, type Envelope } from '../envelope/envelope.js';
import { parsePriority, priorityKey } from '../envelope/priority.js';
import type { QueueTransport } from '../interfaces/queue-transport.interface.js';
import { announce } from '../signals/announce.js';
import { PriorityAnnouncer } from '../signals/priority-announcer.js';
import { queueKeys, scheduleIndexKey, type QueueKeys } from '../utils/keys.util.js';
import { VALKEY_QUEUE_CLIENT, VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { SCHEDULE_HEADER, TICK_HEADER } from './queue-scheduler.service.js';
import { nextTick, type ScheduleTiming } from './schedule-timing.js';
import { appendOrderedTick } from './fire-ordered-ticks.js';

/** What happened to a schedule: `missing` when no schedule has that name. */
export type ScheduleControlResult = 'done' | 'missing';

/**
 * Operator controls over stored schedules (the dashboard's): pause, resume, fire one tick now.
 * A paused schedule keeps its definition and run count but has no next tick (it leaves the
 * queue's schedules ZSET, which fire-schedule.lua compares against, so no instance fires it); its
 * hash records `paused`. Upserting the identical definition at startup leaves it paused. @internal
 */
@Injectable()
export class ScheduleControls {
  private readonly indexKey: string;
  private readonly priorities = new PriorityAnnouncer();

  constructor(
    @Inject(VALKEY_QUEUE_CLIENT) private readonly client: ValkeyClient,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
  ) {
    this.indexKey = scheduleIndexKey(options.prefix);
  }

  /** Names of the paused schedules among `names` (one pipelined read). */
  async paused(schedules: readonly { name: string; queue: string }[]): Promise<Set<string>> {
    if (schedules.length === 0) return new Set();
    const flags = await Promise.all(
      schedules.map(({ name, queue }) => this.client.hget(this.keys(queue).schedule(name), 'paused')),
    );
    return new Set(schedules.filter((_, index) => flags[index] !== null).map(({ name }) => name));
  }

  async pause(name: string): Promise<ScheduleControlResult> {
    const keys = await this.keysOf(name);
    if (!keys) return 'missing';
    await this.client
      .multi()
      .hset(keys.schedule(name), 'paused', Date.now())
      .zrem(keys.schedules, name)
      .exec();
    return 'done';
  }

  /** Resumes from the next tick after now (missed ticks are not caught up). */
  async resume(name: string): Promise<ScheduleControlResult> {
    const keys = await this.keysOf(name);
    if (!keys) return 'missing';
    const timing = await this.client.hget(keys.schedule(name), 'timing');
    if (timing === null) return 'missing';
    const next = nextTick(JSON.parse(timing) as ScheduleTiming, Date.now());
    const transaction = this.client.multi().hdel(keys.schedule(name), 'paused');
    if (next !== null) transaction.zadd(keys.schedules, next, name);
    await transaction.exec();
    if (next !== null) await announce(this.client, this.indexKey, String(next));
    return 'done';
  }

  /**
   * Appends one tick message now, outside the schedule's timing (its next tick and run count stay).
   * The envelope id is `<name>:manual:<ms>`; headers carry the schedule name and the time.
   */
  async trigger(name: string): Promise<ScheduleControlResult> {
    const keys = await this.keysOf(name);
    if (!keys) return 'missing';
    const stored = await this.client.hgetall(keys.schedule(name));
    if (!stored.timing) return 'missing';
    const now = Date.now();
    const labels = stored.labels ? (JSON.parse(stored.labels) as Record<string, string>) : undefined;
    const priority = parsePriority(stored.priority) ?? 0;
    const envelope: Envelope = {
      id: `${name}:manual:${now}`,
      payload: stored.payload,
      headers: {
        ...(JSON.parse(stored.headers ?? '{}') as Record<string, string>),
        [SCHEDULE_HEADER]: name,
        [TICK_HEADER]: String(now),
      },
      createdAt: now,
      attempt: 1,
      ...(labels ? { labels } : {}),
      ...(priority > 0 ? { priority } : {}),
    };
    if (stored.orderingKey) {
      await appendOrderedTick(this.client, keys, stored.orderingKey, envelope.id, toStreamFields(envelope));
      return 'done';
    }
    // A manual tick goes where the schedule's own ticks go: its priority's key (fire-schedule.lua).
    const base = (stored.transport as QueueTransport) === 'list' ? keys.list : keys.stream;
    const target = priorityKey(base, priority);
    if (base === keys.list) await this.client.lpush(target, toListElement(envelope));
    else await this.client.xadd(target, '*', ...toStreamFields(envelope));
    if (priority > 0) this.priorities.announce(this.client, base, priority);
    return 'done';
  }

  private async keysOf(name: string): Promise<QueueKeys | undefined> {
    const entry = await this.client.hget(this.indexKey, name);
    return entry === null ? undefined : this.keys((JSON.parse(entry) as { queue: string }).queue);
  }

  private keys(queue: string): QueueKeys {
    return queueKeys(this.options.prefix, queue);
  }
}
