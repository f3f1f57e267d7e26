import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { StreamOwnershipService } from 'nestjs-valkey-queue';
import type { Subscription } from 'rxjs';
import { ActivityLog } from '../activity/activity.log.js';

/**
 * Owns live session streams (one per user session): each is handed to exactly one instance
 * through the ownership service; when an owner dies, another instance claims the stream.
 */
@Injectable()
export class SessionConsumer implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(SessionConsumer.name);
  private subscription?: Subscription;

  constructor(
    private readonly ownership: StreamOwnershipService,
    private readonly activity: ActivityLog,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.ownership.events$.subscribe((event) => {
      switch (event.type) {
        case 'added':
          this.activity.record('session', `took ${event.stream} (fencing token ${event.lease.token})`);
          break;
        case 'expired':
          // Someone's lease lapsed or was handed back: try to take over; losing the race is fine.
          this.ownership.claim(event.stream).then(
            (lease) =>
              this.activity.record('session', `took over ${event.stream} (fencing token ${lease.token})`),
            () => undefined,
          );
          break;
        case 'disowned':
          this.logger.warn(`Lost ${event.stream}: another instance owns it now`);
          break;
        case 'terminated':
          break;
      }
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
