import { Injectable } from '@nestjs/common';
import { DuplicateWorkerError } from '../errors/duplicate-worker.error.js';
import type { QueueWorkerHandle } from '../interfaces/queue-worker-handle.interface.js';
import type { WorkerDefinition } from './worker-definition.js';

interface Registered {
  definition: WorkerDefinition;
  worker?: QueueWorkerHandle;
}

/**
 * Every `@QueueWorker` of the app, injectable: `get(queue)` returns a worker handle (start/stop
 * by hand with `autoStart: false`), `list()` all of them. Handles exist from application
 * bootstrap on. Returns copies, never its internal maps.
 * @example
 * await app.get(WorkerRegistry).get('orders')?.start();
 */
@Injectable()
export class WorkerRegistry {
  private readonly workers = new Map<string, Registered>();

  /** The worker consuming `queue` (in `group`, when several groups of this app consume it). */
  get(queue: string, group?: string): QueueWorkerHandle | undefined {
    if (group !== undefined) return this.workers.get(key(queue, group))?.worker;
    return [...this.workers.values()].find((registered) => registered.definition.options.queue === queue)
      ?.worker;
  }

  /** Every worker handle, in registration order. */
  list(): QueueWorkerHandle[] {
    return [...this.workers.values()].flatMap((registered) => (registered.worker ? [registered.worker] : []));
  }

  /** Adds a discovered worker; a second one on the same queue and group is an error. @internal */
  register(definition: WorkerDefinition): void {
    const { queue, group } = definition.options;
    const existing = this.workers.get(key(queue, group));
    if (existing) throw new DuplicateWorkerError(queue, group, [existing.definition.name, definition.name]);
    this.workers.set(key(queue, group), { definition });
  }

  /** Definitions without a running handle yet. @internal */
  definitions(): WorkerDefinition[] {
    return [...this.workers.values()].map((registered) => registered.definition);
  }

  /** Attaches the handle built for a definition. @internal */
  attach(definition: WorkerDefinition, worker: QueueWorkerHandle): void {
    const registered = this.workers.get(key(definition.options.queue, definition.options.group));
    if (registered) registered.worker = worker;
  }
}

const key = (queue: string, group: string): string => JSON.stringify([queue, group]);
