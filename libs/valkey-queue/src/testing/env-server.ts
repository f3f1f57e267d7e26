import type { StartedValkey } from './start-valkey.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/**
 * Wraps an externally managed server named by a URL (env VALKEY_URL). The harness does not own it:
 * `stop()` does nothing, `kill()` and `restart()` reject.
 */
export function envServer(rawUrl: string): StartedValkey {
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch (error) {
    throw new ValkeyHarnessError(`VALKEY_URL is not a valid URL: ${JSON.stringify(rawUrl)}`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ValkeyHarnessError(
      `VALKEY_URL must start with redis:// or rediss://, got ${parsed.protocol}//`,
    );
  }
  const password = parsed.password ? decodeURIComponent(parsed.password) : undefined;
  parsed.username = '';
  parsed.password = '';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = parsed.port ? Number(parsed.port) : 6379;
  const notOwned = (action: string): Promise<never> =>
    Promise.reject(
      new ValkeyHarnessError(
        `${action}() needs a server started by the harness, not VALKEY_URL; pass an option such as appendonly to start one`,
      ),
    );
  return {
    url: parsed.href.replace(/\/$/, ''),
    host,
    port,
    source: 'env',
    password,
    stop: () => Promise.resolve(),
    kill: () => notOwned('kill'),
    restart: () => notOwned('restart'),
  };
}
