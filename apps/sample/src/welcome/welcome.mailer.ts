import { Injectable } from '@nestjs/common';
import { InjectSender, type BoundQueueSender } from 'nestjs-valkey-queue';
import type { RegistrationDto } from '../registrations/registration.dto.js';
import { WELCOME_QUEUE } from '../registrations/registrations.constants.js';

/** How long after sign-up the welcome e-mail goes out. */
export const WELCOME_DELAY_MS = 2_000;

/** Queues a welcome e-mail a little after sign-up (a delayed message). */
@Injectable()
export class WelcomeMailer {
  constructor(@InjectSender(WELCOME_QUEUE) private readonly emails: BoundQueueSender) {}

  async scheduleWelcome(registration: RegistrationDto): Promise<void> {
    // The dedup key makes a redelivered registration schedule one e-mail, not two.
    await this.emails.send(
      { to: registration.email, name: registration.name },
      { delay: WELCOME_DELAY_MS, dedupKey: `welcome:${registration.email}` },
    );
  }
}
