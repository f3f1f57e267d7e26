import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { QueueScheduler } from 'nestjs-valkey-queue';
import { REPORTS_QUEUE } from '../registrations/registrations.constants.js';

/**
 * Schedules stored in Valkey and shared by every instance: each tick is one message on `reports`,
 * whatever the number of replicas. Every instance upserts them at startup; identical upserts are no-ops.
 */
@Injectable()
export class ReportSchedules implements OnApplicationBootstrap {
  constructor(private readonly scheduler: QueueScheduler) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.scheduler.upsert({
      name: 'daily-signups-report',
      cron: '0 7 * * 1-5', // 07:00 on weekdays, Berlin time
      timezone: 'Europe/Berlin',
      queue: REPORTS_QUEUE,
      payload: { report: 'daily-signups' },
    });
    await this.scheduler.upsert({
      name: 'activity-snapshot',
      every: Number(process.env.SAMPLE_SNAPSHOT_EVERY_MS ?? 5_000),
      queue: REPORTS_QUEUE,
      payload: { report: 'activity-snapshot' },
    });
  }
}
