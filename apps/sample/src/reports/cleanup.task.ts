import { Injectable } from '@nestjs/common';
import { QueueAdmin, Scheduled, type ScheduledRun } from 'nestjs-valkey-queue';
import { ActivityLog } from '../activity/activity.log.js';
import { SAMPLE_QUEUES } from '../registrations/registrations.constants.js';

/**
 * House-keeping on a schedule. Unlike `@nestjs/schedule`'s `@Cron`, `@Scheduled` runs the method on
 * one instance per tick however many replicas run, and never overlaps two runs.
 */
@Injectable()
export class CleanupTask {
  constructor(
    private readonly admin: QueueAdmin,
    private readonly activity: ActivityLog,
  ) {}

  @Scheduled({ name: 'dead-letter-audit', every: Number(process.env.SAMPLE_CLEANUP_EVERY_MS ?? 60_000) })
  async auditDeadLetters(run: ScheduledRun): Promise<void> {
    const stats = await Promise.all(SAMPLE_QUEUES.map((queue) => this.admin.stats(queue)));
    const dead = stats.reduce((sum, { deadLetters }) => sum + deadLetters, 0);
    this.activity.record('cleanup', `dead-letter audit at ${run.tickAt.toISOString()}: ${dead} dead letters`);
  }
}
