import {
  OnBroken,
  OnDead,
  OnMessage,
  QueueWorker,
  type BrokenMessage,
  type DeadMessage,
  type QueueMessage,
} from 'nestjs-valkey-queue';
import { ActivityLog } from '../activity/activity.log.js';
import { WelcomeMailer } from '../welcome/welcome.mailer.js';
import { RegistrationDto } from './registration.dto.js';
import { REGISTRATIONS_QUEUE } from './registrations.constants.js';

/**
 * Creates accounts. Addresses starting with `flaky` fail once (then succeed on the retry);
 * addresses starting with `doomed` always fail, so they end dead after maxRetries + 1 attempts.
 */
@QueueWorker(REGISTRATIONS_QUEUE, {
  payload: RegistrationDto,
  concurrency: 10,
  maxRetries: 2,
  backoff: { type: 'exponential', delay: 200, maxDelay: 2_000 },
})
export class RegistrationWorker {
  constructor(
    private readonly activity: ActivityLog,
    private readonly welcome: WelcomeMailer,
  ) {}

  @OnMessage()
  async createAccount(message: QueueMessage<RegistrationDto>): Promise<void> {
    const { email } = message.payload;
    if (email.startsWith('doomed') || (email.startsWith('flaky') && message.attempt === 1)) {
      this.activity.record('retrying', `${email} failed on attempt ${message.attempt}`);
      throw new Error(`account service refused ${email}`);
    }
    this.activity.record('processed', `${email} registered on attempt ${message.attempt}`);
    await this.welcome.scheduleWelcome(message.payload);
  }

  @OnDead()
  async giveUp(message: DeadMessage<RegistrationDto>): Promise<void> {
    this.activity.record(
      'dead',
      `${message.payload.email} dead after ${message.attempts} attempts: ${message.error.message}`,
    );
  }

  @OnBroken()
  async reject(message: BrokenMessage): Promise<void> {
    this.activity.record('broken', `message ${message.id ?? '(no id)'} rejected: ${message.error.message}`);
  }
}
