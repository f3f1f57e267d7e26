import { Test, type TestingModule } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import {
  OwnershipFence,
  StreamOwnershipService,
  VALKEY_QUEUE_CLIENT,
  ValkeyQueueModule,
  type OwnershipEvent,
  type OwnershipOptions,
  type ValkeyClient,
} from 'nestjs-valkey-queue';
import type { Subscription } from 'rxjs';
import { connectionFor } from '../utils/topology.js';
import { bootWorkers, waitFor } from '../workers/worker-test-kit.js';

/** A unique ownership service name per test. */
export const uniqueService = (label = 'own'): string => `${label}-${randomUUID()}`;

/**
 * The keys of an ownership service, written out from docs/key-layout.md (independently of the
 * library's own key builder).
 */
export const ownKeys = (service: string, prefix = 'vq') => {
  const tag = `{${prefix}:own:${service}}`;
  const key = (suffix: string): string => `${tag}:${suffix}`;
  return {
    tag,
    lbs: key('lbs'),
    lbsDead: key('lbs:dead'),
    assignments: key('assignments'),
    handBackChannel: key('handed-back'),
    lease: (stream: string) => key(`lease:${stream}`),
    fence: (stream: string) => key(`fence:${stream}`),
    assignment: (stream: string) => key(`assignment:${stream}`),
  };
};

/** Fast timings for tests: leases lapse 3 s after the last heartbeat. */
export const FAST: Omit<OwnershipOptions, 'service'> = { leaseTtl: 3_000, heartbeatInterval: 1_000 };

/** Boots one instance (a Nest testing module) of an ownership service. */
export const bootOwnership = (url: string, ownership: OwnershipOptions | undefined): Promise<TestingModule> =>
  bootWorkers(url, [], { ownership });

/** A booted instance with its service, fence, shared client and recorded events. */
export interface Instance {
  readonly moduleRef: TestingModule;
  readonly service: StreamOwnershipService;
  readonly fence: OwnershipFence;
  readonly client: ValkeyClient;
  readonly log: EventLog;
  close(): Promise<void>;
}

/** Boots an instance, recording its events from before bootstrap (so none is missed). */
export async function startInstance(url: string, ownership: OwnershipOptions | undefined): Promise<Instance> {
  const moduleRef = await Test.createTestingModule({
    imports: [ValkeyQueueModule.forRoot({ connection: connectionFor(url), ownership })],
  }).compile();
  const service = moduleRef.get(StreamOwnershipService);
  const log = new EventLog(service);
  try {
    await moduleRef.init();
  } catch (error) {
    await moduleRef.close();
    throw error;
  }
  let closed = false;
  return {
    moduleRef,
    service,
    fence: moduleRef.get(OwnershipFence),
    client: moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT),
    log,
    close: async () => {
      if (closed) return;
      closed = true;
      await moduleRef.close();
      log.dispose();
    },
  };
}

type Waiter = { predicate: (event: OwnershipEvent) => boolean; resolve: (event: OwnershipEvent) => void };

/** Records every event of one instance; `next()` awaits one (past or future) matching a predicate. */
export class EventLog {
  readonly events: OwnershipEvent[] = [];
  completed = false;
  private readonly waiters = new Set<Waiter>();
  private readonly subscription: Subscription;

  constructor(service: StreamOwnershipService) {
    this.subscription = service.events$.subscribe({
      next: (event) => {
        this.events.push(event);
        for (const waiter of [...this.waiters]) {
          if (!waiter.predicate(event)) continue;
          this.waiters.delete(waiter);
          waiter.resolve(event);
        }
      },
      complete: () => {
        this.completed = true;
      },
    });
  }

  of<T extends OwnershipEvent['type']>(type: T): Extract<OwnershipEvent, { type: T }>[] {
    return this.events.filter((event): event is Extract<OwnershipEvent, { type: T }> => event.type === type);
  }

  /** The first recorded event matching `predicate`, else the next one; rejects after `timeoutMs`. */
  next<T extends OwnershipEvent['type']>(
    type: T,
    match: (event: Extract<OwnershipEvent, { type: T }>) => boolean = () => true,
    timeoutMs = 20_000,
  ): Promise<Extract<OwnershipEvent, { type: T }>> {
    const predicate = (event: OwnershipEvent): boolean =>
      event.type === type && match(event as Extract<OwnershipEvent, { type: T }>);
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen as Extract<OwnershipEvent, { type: T }>);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        predicate,
        resolve: (event) => {
          clearTimeout(timer);
          resolve(event as Extract<OwnershipEvent, { type: T }>);
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`No '${type}' event within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  dispose(): void {
    this.subscription.unsubscribe();
  }
}

/** Polls `check` until it holds (for state without an event), failing after `timeoutMs` (20 s here). */
export const waitUntil = (
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<void> => waitFor(check, what, timeoutMs, intervalMs);

/** Consumers of the LBS group that have read at least once (XINFO CONSUMERS). */
export async function lbsConsumers(client: ValkeyClient, service: string): Promise<string[]> {
  const rows = (await client
    .xinfo('CONSUMERS', ownKeys(service).lbs, service)
    .catch(() => [])) as unknown[][];
  return rows.map((row) => String(row[1]));
}
