import {
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { QueueAdmin } from 'nestjs-valkey-queue';
import { ActivityLog } from '../activity/activity.log.js';
import { SAMPLE_QUEUES } from '../registrations/registrations.constants.js';

/** `GET /queues` (stats and dead letters), `POST /queues/:queue/redrive`, `GET /activity`. */
@Controller()
export class QueuesController {
  constructor(
    private readonly admin: QueueAdmin,
    private readonly activity: ActivityLog,
  ) {}

  @Get('queues')
  async overview() {
    return Promise.all(
      SAMPLE_QUEUES.map(async (queue) => ({
        ...(await this.admin.stats(queue)),
        recentDeadLetters: await this.admin.deadLetters(queue, { count: 10 }),
      })),
    );
  }

  @Post('queues/:queue/redrive')
  @HttpCode(200)
  async redrive(
    @Param('queue') queue: string,
    @Query('count', new ParseIntPipe({ optional: true })) count?: number,
  ) {
    if (!(SAMPLE_QUEUES as readonly string[]).includes(queue))
      throw new NotFoundException(`no queue ${queue}`);
    return { queue, redriven: await this.admin.redrive(queue, { count: count ?? 100 }) };
  }

  @Get('activity')
  recent() {
    return this.activity.all();
  }
}
