import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { InvalidWorkerError } from '../errors/invalid-worker.error.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import { WorkerMetadataAccessor } from './worker-metadata.accessor.js';
import type { WorkerHandlers } from './worker-definition.js';
import type { WorkerHandlerKind } from '../decorators/worker.constants.js';
import { resolveWorkerOptions } from '../config/worker-options.js';
import { WorkerRegistry } from './worker.registry.js';

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];
type Method = (...args: never[]) => unknown;

/**
 * Finds every `@QueueWorker` provider at module init, validates it (exactly one `@OnMessage`, at
 * most one `@OnBroken` and `@OnDead`, static scope, valid options) and registers its bound
 * handlers. It starts nothing; `WorkerOrchestrator` does, on application bootstrap. @internal
 */
@Injectable()
export class WorkerExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: WorkerMetadataAccessor,
    private readonly registry: WorkerRegistry,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) this.explore(wrapper);
  }

  private explore(wrapper: ProviderWrapper): void {
    // instance.constructor (not only metatype) also covers useFactory/useValue providers
    const target: unknown =
      !wrapper.metatype || wrapper.inject
        ? (wrapper.instance as object | undefined)?.constructor
        : wrapper.metatype;
    const metadata = this.accessor.getWorkerMetadata(target);
    if (!metadata) return;
    const name = (target as { name?: string }).name || String(wrapper.name);
    if (!wrapper.isDependencyTreeStatic()) {
      throw new InvalidWorkerError(
        name,
        'it must not be request-scoped (nor depend on a request-scoped provider)',
      );
    }
    const instance = wrapper.instance as Record<string, unknown> | undefined;
    if (!instance) throw new InvalidWorkerError(name, 'it has no instance (is it a provider?)');
    const options = resolveWorkerOptions(name, metadata.queue, metadata.options, this.options.worker);
    this.registry.register({ name, options, handlers: this.collectHandlers(name, instance) });
  }

  private collectHandlers(name: string, instance: Record<string, unknown>): WorkerHandlers {
    const found: Record<WorkerHandlerKind, string[]> = { message: [], broken: [], dead: [] };
    const prototype = Object.getPrototypeOf(instance) as object;
    for (const method of this.scanner.getAllMethodNames(prototype)) {
      const kind = this.accessor.getHandlerKind(instance[method]);
      if (kind) found[kind].push(method);
    }
    if (found.message.length !== 1) {
      const got = found.message.length === 0 ? 'none' : found.message.join(', ');
      throw new InvalidWorkerError(name, `it needs exactly one @OnMessage() method (found: ${got})`);
    }
    for (const kind of ['broken', 'dead'] as const) {
      if (found[kind].length > 1) {
        const decorator = kind === 'broken' ? '@OnBroken()' : '@OnDead()';
        throw new InvalidWorkerError(
          name,
          `it has more than one ${decorator} method (${found[kind].join(', ')})`,
        );
      }
    }
    const bind = (method: string | undefined): Method | undefined =>
      method === undefined ? undefined : (instance[method] as Method).bind(instance);
    return {
      message: bind(found.message[0]) as WorkerHandlers['message'],
      broken: bind(found.broken[0]) as WorkerHandlers['broken'],
      dead: bind(found.dead[0]) as WorkerHandlers['dead'],
    };
  }
}
