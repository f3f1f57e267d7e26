import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import { HEALTH_INDICATOR_SERVICE } from './load-terminus.js';
import { ValkeyConnection } from '../connection/valkey-connection.js';
import { errorMessage, withTimeout } from '../utils/with-timeout.util.js';

/** Options of `ValkeyHealthIndicator.isHealthy`. */
export interface ValkeyHealthOptions {
  /** Longest acceptable round trip in ms; slower counts as down. @default 1000 */
  timeout?: number;
}

/**
 * Terminus indicator for the Valkey connection: up when the server answers PING within `timeout`,
 * with the round trip, server version and role; down (never a throw) with the reason otherwise.
 *
 * @example
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.valkey.isHealthy('valkey')]); }
 */
@Injectable()
export class ValkeyHealthIndicator {
  constructor(
    private readonly connection: ValkeyConnection,
    @Inject(HEALTH_INDICATOR_SERVICE) private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy<const Key extends string>(key: Key, { timeout = 1_000 }: ValkeyHealthOptions = {}) {
    const indicator = this.health.check(key);
    const { client, address } = this.connection;
    if (client.status !== 'ready') {
      return indicator.down({ message: `connection is ${client.status}`, address });
    }
    const startedAt = performance.now();
    try {
      const [, info] = await withTimeout(
        Promise.all([client.ping(), client.info('server', 'replication')]),
        timeout,
        'PING',
      );
      const latencyMs = Math.round((performance.now() - startedAt) * 100) / 100;
      return indicator.up({ address, latencyMs, ...serverFacts(info) });
    } catch (error) {
      return indicator.down({ message: errorMessage(error), address });
    }
  }
}

/** Version, server flavour and replication role from an INFO reply. */
function serverFacts(info: string): { server: string; version: string; role: string } {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
  const valkey = field('valkey_version');
  return {
    server: valkey ? 'valkey' : 'redis',
    version: valkey ?? field('redis_version') ?? 'unknown',
    role: field('role') ?? 'unknown',
  };
}
