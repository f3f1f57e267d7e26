import { OnMessage, QueueWorker, TICK_HEADER, type QueueMessage } from 'nestjs-valkey-queue';
import { ActivityLog } from '../activity/activity.log.js';
import { REPORTS_QUEUE } from '../registrations/registrations.constants.js';

/** Builds the reports the schedules ask for. */
@QueueWorker(REPORTS_QUEUE)
export class ReportWorker {
  constructor(private readonly activity: ActivityLog) {}

  @OnMessage()
  async build(message: QueueMessage<{ report: string }>): Promise<void> {
    const tick = new Date(Number(message.headers[TICK_HEADER])).toISOString();
    const processed = this.activity.all().filter(({ kind }) => kind === 'processed').length;
    this.activity.record(
      'report',
      `${message.payload.report} for tick ${tick}: ${processed} sign-ups so far`,
    );
  }
}
