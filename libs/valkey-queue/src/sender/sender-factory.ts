import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { ValkeyQueueMetrics } from '../observability/valkey-queue-metrics.service.js';
import { VALKEY_QUEUE_RESOLVED_OPTIONS } from '../valkey-queue.constants.js';
import {
  assertMergedSenderOptions,
  mergeSenderOptions,
  type ResolvedSenderOptions,
} from '../config/resolve-sender-options.js';
import { SenderCore, type SenderDeps } from './sender-core.js';
import type { RegisterSenderOptions } from '../interfaces/sender-options.interface.js';
import { SenderResilience } from './sender-resilience.js';
import { SendScript } from './send-script.js';
import { SenderStatus } from './sender-status.js';
import { TokenBucket } from './token-bucket.js';

/**
 * Builds the sender engines of a module: the root one behind `QueueSender`, and one per
 * `registerSender()`. All share the connection, the circuit breaker, the status and the promoter;
 * a registered sender shares the module's rate-limit bucket unless it sets its own `rateLimit`.
 * @internal
 */
@Injectable()
export class SenderFactory {
  /** The engine of `QueueSender`, with the module's sender defaults. */
  readonly root: SenderCore;
  private readonly deps: SenderDeps;
  private readonly rootLimiter: TokenBucket | undefined;

  constructor(
    connection: ValkeyConnection,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    resilience: SenderResilience,
    status: SenderStatus,
    promoter: DelayedPromoter,
    metrics: ValkeyQueueMetrics,
  ) {
    const { client } = connection;
    this.deps = {
      client,
      script: new SendScript(client),
      prefix: options.prefix,
      resilience,
      status,
      promoter,
      metrics: metrics.sender,
      tracing: options.tracing.enabled,
    };
    this.rootLimiter = createLimiter(options.sender.rateLimit);
    this.root = new SenderCore(options.sender, this.deps, this.rootLimiter);
  }

  /** The engine of a registered sender: its own options over the module's sender defaults. */
  create(registration: RegisterSenderOptions): SenderCore {
    const { name: _name, ...own } = registration;
    const options = mergeSenderOptions(this.options.sender, own);
    assertMergedSenderOptions(options, registration.name);
    const limiter = own.rateLimit === undefined ? this.rootLimiter : createLimiter(options.rateLimit);
    return new SenderCore(options, this.deps, limiter);
  }
}

function createLimiter(rateLimit: ResolvedSenderOptions['rateLimit']): TokenBucket | undefined {
  return rateLimit ? new TokenBucket(rateLimit.perSecond, rateLimit.burst) : undefined;
}
