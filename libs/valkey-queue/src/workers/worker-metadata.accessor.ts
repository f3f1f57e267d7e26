import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { QueueWorkerMetadata } from '../decorators/queue-worker.decorator.js';
import {
  QUEUE_WORKER_METADATA,
  WORKER_HANDLER_METADATA,
  type WorkerHandlerKind,
} from '../decorators/worker.constants.js';

/** Reads what the worker decorators stored; the only reader of their metadata. @internal */
@Injectable()
export class WorkerMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  /** `@QueueWorker(queue, options)` of a class, if it has one. */
  getWorkerMetadata(target: unknown): QueueWorkerMetadata | undefined {
    if (typeof target !== 'function') return undefined;
    return this.reflector.get<QueueWorkerMetadata | undefined>(QUEUE_WORKER_METADATA, target);
  }

  /** Which handler a method is (`@OnMessage`, `@OnBroken`, `@OnDead`), if any. */
  getHandlerKind(method: unknown): WorkerHandlerKind | undefined {
    if (typeof method !== 'function') return undefined;
    return this.reflector.get<WorkerHandlerKind | undefined>(WORKER_HANDLER_METADATA, method);
  }
}
