import { Injectable, Logger } from '@nestjs/common';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { DelayedPromoter } from '../delayed/delayed-promoter.js';
import { StreamOwnershipService } from '../ownership/stream-ownership.service.js';
import { QueueScheduler } from '../scheduler/queue-scheduler.service.js';
import { QueueSignals } from '../signals/queue-signals.js';
import { errorMessage } from '../utils/with-timeout.util.js';
import type { BootstrapCleanup } from '../valkey-queue.constants.js';

/**
 * Releases what the module opened when one of its bootstrap hooks fails (a worker refused at
 * start, a schedule that cannot be stored): Nest runs no shutdown hook after a failed `init()`,
 * so without this the promoter's and scheduler's timers, the wake-up signal subscriber and the
 * command connection would keep the process alive until `app.close()`. Runs the module's own
 * shutdown steps in shutdown order; each is idempotent, so a later `app.close()` changes nothing.
 * @internal
 */
@Injectable()
export class FailedBootstrapCleanup implements BootstrapCleanup {
  private readonly logger = new Logger(FailedBootstrapCleanup.name);
  private released?: Promise<void>;

  constructor(
    private readonly ownership: StreamOwnershipService,
    private readonly scheduler: QueueScheduler,
    private readonly promoter: DelayedPromoter,
    private readonly signals: QueueSignals,
    private readonly connection: ValkeyConnection,
  ) {}

  release(): Promise<void> {
    this.released ??= this.run().catch((error: unknown) => {
      this.logger.warn(`Releasing after a failed bootstrap: ${errorMessage(error)}`);
    });
    return this.released;
  }

  private async run(): Promise<void> {
    await this.ownership.beforeApplicationShutdown();
    await Promise.all([
      this.scheduler.onApplicationShutdown(),
      this.promoter.onApplicationShutdown(),
      this.signals.onApplicationShutdown(),
    ]);
    await this.connection.close();
  }
}
