import { OnMessage, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { ActivityLog } from '../activity/activity.log.js';
import { WELCOME_QUEUE } from '../registrations/registrations.constants.js';

/** Sends the (pretend) welcome e-mails. */
@QueueWorker(WELCOME_QUEUE, { concurrency: 5 })
export class WelcomeWorker {
  constructor(private readonly activity: ActivityLog) {}

  @OnMessage()
  async send(message: QueueMessage<{ to: string; name: string }>): Promise<void> {
    const waited = Date.now() - message.createdAt.getTime();
    this.activity.record('welcome', `welcome e-mail to ${message.payload.to}, ${waited} ms after sign-up`);
  }
}
