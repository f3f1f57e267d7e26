import { Controller, HttpCode, Param, Post } from '@nestjs/common';
import { StreamOwnershipService } from 'nestjs-valkey-queue';

/** `POST /sessions/:id`: hands a new session stream to one instance. */
@Controller('sessions')
export class SessionsController {
  constructor(private readonly ownership: StreamOwnershipService) {}

  @Post(':id')
  @HttpCode(202)
  async open(@Param('id') id: string): Promise<{ stream: string }> {
    const stream = `session:${id}`;
    await this.ownership.assign(stream, { openedAt: new Date().toISOString() });
    return { stream };
  }
}
