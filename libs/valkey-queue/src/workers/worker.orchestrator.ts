import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { ResolvedValkeyQueueOptions } from '../config/validate-options.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { QueueSignals } from '../signals/queue-signals.js';
import { ValkeyQueueMetrics } from '../observability/valkey-queue-metrics.service.js';
import {
  BOOTSTRAP_CLEANUP,
  VALKEY_QUEUE_RESOLVED_OPTIONS,
  type BootstrapCleanup,
} from '../valkey-queue.constants.js';
import { QueueConsumer } from './queue-consumer.js';
import { WorkerRegistry } from './worker.registry.js';

/**
 * Starts every registered worker on application bootstrap (those with `autoStart`), and stops all
 * of them in `beforeApplicationShutdown`, before the connections close: stop reading, wait for
 * running handlers up to `shutdownTimeout`, abort the rest, flush acknowledgements. @internal
 */
@Injectable()
export class WorkerOrchestrator implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WorkerOrchestrator.name);
  private readonly consumers: QueueConsumer[] = [];

  constructor(
    private readonly registry: WorkerRegistry,
    private readonly connection: ValkeyConnection,
    private readonly promoter: DelayedPromoter,
    @Inject(VALKEY_QUEUE_RESOLVED_OPTIONS) private readonly options: ResolvedValkeyQueueOptions,
    private readonly metrics: ValkeyQueueMetrics,
    private readonly signals: QueueSignals,
    @Inject(BOOTSTRAP_CLEANUP) private readonly cleanup: BootstrapCleanup,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    for (const definition of this.registry.definitions()) {
      const { queue, group } = definition.options;
      const metrics = this.metrics.worker({ queue, group, worker: definition.name });
      const instrumented = { ...definition, metrics, tracing: this.options.tracing.enabled };
      const consumer = new QueueConsumer(instrumented, {
        connection: this.connection,
        prefix: this.options.prefix,
        promoter: this.promoter,
        signals: this.signals,
      });
      this.consumers.push(consumer);
      this.registry.attach(definition, consumer);
    }
    const starting = this.consumers.filter((consumer) => consumer.options.autoStart);
    // Workers started later read at once then: their read connections open now. Waited for only
    // while the server answers (a lazyConnect app may boot without it).
    const opening = Promise.all(
      this.consumers.filter((consumer) => !consumer.options.autoStart).map((c) => c.openReadConnection()),
    );
    const results = await Promise.allSettled(starting.map((consumer) => consumer.start()));
    if (this.connection.client.status === 'ready') await opening;
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure) {
      await this.stopAll();
      await this.cleanup.release();
      throw failure.reason;
    }
    for (const consumer of this.consumers) {
      const { queue, group, consumer: name, concurrency, autoStart } = consumer.options;
      this.logger.log(
        `${consumer.name} -> ${queue} (group ${group}, consumer ${name}, concurrency ${concurrency}` +
          `${autoStart ? '' : ', not started: autoStart false'})`,
        { worker: consumer.name, queue, group, consumer: name, concurrency, started: autoStart },
      );
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopAll();
  }

  private async stopAll(): Promise<void> {
    await Promise.all(
      this.consumers.map(async (consumer) => {
        if (!consumer.running) return consumer.closeReadConnection();
        await consumer.stop();
        const { queue, group } = consumer.options;
        this.logger.log(`${consumer.name} stopped consuming ${queue} (group ${group})`, {
          worker: consumer.name,
          queue,
          group,
        });
      }),
    );
  }
}
