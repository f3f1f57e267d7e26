import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import {
  SCHEDULED_METADATA,
  type ScheduledOptions,
  type ScheduledRun,
} from '../decorators/scheduled.decorator.js';
import { InvalidScheduleError } from '../errors/invalid-schedule.error.js';
import type { QueueMessage } from '../interfaces/queue-message.interface.js';
import { queueKeys } from '../utils/keys.util.js';
import {
  BOOTSTRAP_CLEANUP,
  VALKEY_QUEUE_RESOLVED_OPTIONS,
  type BootstrapCleanup,
} from '../valkey-queue.constants.js';
import { resolveWorkerOptions } from '../config/worker-options.js';
import { WorkerRegistry } from '../workers/worker.registry.js';
import { QueueScheduler, TICK_HEADER } from './queue-scheduler.service.js';
import { runExclusively } from './run-exclusively.js';
import { scheduleTiming } from './schedule-timing.js';

/** Lifetime of a run lock without renewal: how long a crashed run blocks the next one. */
const RUN_LOCK_TTL_MS = 30_000;

interface ScheduledMethod {
  options: ScheduledOptions;
  /** `Class.method`, for logs. */
  label: string;
  queue: string;
  invoke: (run: ScheduledRun) => Promise<unknown>;
}

/**
 * Turns every `@Scheduled()` method into a schedule plus an internal worker on the queue
 * `scheduled.<name>`. Each tick is one message, delivered through a consumer group to exactly one
 * instance; a run lock keeps runs of one schedule from overlapping across instances.
 */
@Injectable()
export class ScheduledExplorer implements OnModuleInit, OnApplicationBootstrap {
  private readonly logger = new Logger('Scheduled');
  private readonly methods: ScheduledMethod[] = [];
  private readonly owner = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly registry: WorkerRegistry,
    private readonly scheduler: QueueScheduler,
    private readonly connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    @Inject(BOOTSTRAP_CLEANUP) private readonly cleanup: BootstrapCleanup,
  ) {}

  /** Finds and validates every `@Scheduled()` method; a bad one fails bootstrap. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as object;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const options = this.reflector.get<ScheduledOptions | undefined>(
          SCHEDULED_METADATA,
          instance[method] as () => void,
        );
        if (options) this.add(`${instance.constructor.name}.${method}`, options, instance, method);
      }
    }
  }

  /** Stores the schedules (identical upserts from other instances change nothing). */
  async onApplicationBootstrap(): Promise<void> {
    try {
      for (const { options, queue, label } of this.methods) {
        const { name, cron, every, timezone, catchUp } = options;
        await this.scheduler.upsert({
          name,
          cron,
          every,
          timezone,
          catchUp,
          queue,
          payload: { method: label },
        });
      }
    } catch (error) {
      await this.cleanup.release();
      throw error;
    }
  }

  private add(
    label: string,
    options: ScheduledOptions,
    instance: Record<string, unknown>,
    method: string,
  ): void {
    if (this.methods.some((known) => known.options.name === options.name)) {
      throw new InvalidScheduleError(options.name, `@Scheduled names must be unique (${label} repeats it)`);
    }
    scheduleTiming({ ...options, queue: 'scheduled', payload: null }, Date.now()); // throws InvalidScheduleError
    const queue = `scheduled.${options.name}`;
    const invoke = (run: ScheduledRun) =>
      Promise.resolve((instance[method] as (run: ScheduledRun) => unknown).call(instance, run));
    const scheduled: ScheduledMethod = { options, label, queue, invoke };
    this.methods.push(scheduled);
    this.registry.register({
      name: `${label} (@Scheduled)`,
      options: resolveWorkerOptions(
        label,
        queue,
        { concurrency: 1, batchSize: 1, maxRetries: 0 },
        this.options.worker,
      ),
      handlers: { message: (message) => this.run(scheduled, message) },
    });
  }

  private async run({ options, invoke }: ScheduledMethod, message: QueueMessage): Promise<void> {
    const tickAt = new Date(Number(message.headers[TICK_HEADER] ?? message.createdAt.getTime()));
    const lock = queueKeys(this.options.prefix, `scheduled.${options.name}`).runLock;
    const ran = await runExclusively(this.connection.client, lock, this.owner, RUN_LOCK_TTL_MS, () =>
      invoke({ name: options.name, tickAt, signal: message.signal }),
    );
    if (!ran)
      this.logger.warn(
        `Skipped the ${tickAt.toISOString()} tick of '${options.name}': its previous run is still going`,
      );
  }
}
