import { Controller, Get } from '@nestjs/common';
import { InjectValkeyClient, type ValkeyClient } from 'nestjs-valkey-queue';

/** `GET /status`: proves the app reaches Valkey through the module's shared client. */
@Controller('status')
export class StatusController {
  constructor(@InjectValkeyClient() private readonly valkey: ValkeyClient) {}

  @Get()
  async status(): Promise<{ valkey: string; latencyMs: number }> {
    const startedAt = performance.now();
    const reply = await this.valkey.ping();
    return { valkey: reply, latencyMs: Math.round((performance.now() - startedAt) * 100) / 100 };
  }
}
