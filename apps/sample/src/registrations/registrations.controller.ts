import { Body, Controller, HttpCode, Post, ValidationPipe } from '@nestjs/common';
import { InjectSender, type BoundQueueSender, type SendResult } from 'nestjs-valkey-queue';
import { RegistrationDto } from './registration.dto.js';
import { REGISTRATIONS_QUEUE } from './registrations.constants.js';

/** `POST /registrations`: validates a sign-up and queues it; the worker does the slow part. */
@Controller('registrations')
export class RegistrationsController {
  constructor(@InjectSender(REGISTRATIONS_QUEUE) private readonly registrations: BoundQueueSender) {}

  @Post()
  @HttpCode(202)
  async register(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true })) registration: RegistrationDto,
  ): Promise<SendResult> {
    // One sign-up per address per hour, even if the client retries the request.
    return this.registrations.send(
      { ...registration },
      { dedupKey: registration.email, dedupTtl: 3_600_000 },
    );
  }
}
