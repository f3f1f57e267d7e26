import { Redis } from 'ioredis';
import type { TopologyAddress } from './topology.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** Pause between two checks of a topology's state. */
const POLL_INTERVAL_MS = 100;

/**
 * Runs `fn` with a short-lived, fail-fast client of one node (no reconnects, no offline queue), and
 * always closes it. For the harness's own checks, never for the code under test.
 */
export async function withNodeClient<T>(
  address: TopologyAddress,
  password: string | undefined,
  fn: (client: Redis) => Promise<T>,
): Promise<T> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    password,
    lazyConnect: true,
    connectTimeout: 2_000,
    commandTimeout: 5_000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
    disconnectTimeout: 100,
  });
  client.on('error', () => undefined); // reported through the command promises
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
}

/** `field:value` lines of an INFO or CLUSTER INFO reply, as a map. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}

/**
 * Polls `check` until it resolves true; errors count as "not yet". Rejects with a
 * {@link ValkeyHarnessError} naming `what` (and the last error) after `timeoutMs`.
 */
export async function pollUntil(
  check: () => Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const reason = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new ValkeyHarnessError(`Timed out after ${timeoutMs} ms waiting for ${what}${reason}`, {
        cause: lastError,
      });
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}
