import type { ValkeyClient } from '../connection/create-client.js';

/**
 * Runs `task` while holding `lock` (renewed every third of `ttlMs`), so two runs never overlap
 * across instances. Resolves false, without running it, when another run holds the lock. A run
 * that outlives its process leaves a lock that lapses after `ttlMs`.
 * @internal
 */
export async function runExclusively(
  client: ValkeyClient,
  lock: string,
  owner: string,
  ttlMs: number,
  task: () => Promise<unknown>,
): Promise<boolean> {
  if ((await client.vqScheduledRunLock(lock, 'acquire', owner, ttlMs)) !== 1) return false;
  const renewal = setInterval(() => {
    client.vqScheduledRunLock(lock, 'renew', owner, ttlMs).catch(() => undefined); // the next renewal retries
  }, ttlMs / 3);
  try {
    await task();
    return true;
  } finally {
    clearInterval(renewal);
    await client.vqScheduledRunLock(lock, 'release', owner).catch(() => undefined); // else it lapses
  }
}
