import { loadTestcontainers } from './container-server.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';
import { startBinaryPostgres } from './binary-postgres.js';
import { startContainerPostgres } from './container-postgres.js';
import { findPostgresBinaries } from './find-postgres-binaries.js';
import type { StartedPostgres, StartPostgresOptions } from './start-postgres.types.js';

const NO_SERVER_MESSAGE =
  'No PostgreSQL server available: set DATABASE_URL, or install PostgreSQL ' +
  '(Debian: apt-get install postgresql), or run a Docker engine for testcontainers.';

/**
 * Gives a test a real PostgreSQL server, from the first source that fits:
 *
 * 1. env `DATABASE_URL` (`source: 'env'`; `stop()` does nothing, `kill()` and `restart()` reject);
 * 2. local `initdb` + `postgres` binaries (see {@link StartPostgresOptions.binDir}): a cluster initialised in a
 *    fresh temp dir, served on a free loopback port, run as the `postgres` account when Node runs as root
 *    (`source: 'binary'`);
 * 3. the `postgres:15` image through testcontainers, if a Docker engine answers (`source: 'container'`).
 *
 * Always `stop()` it when done. Processes still running when Node exits are killed.
 * @throws {ValkeyHarnessError} when no source is available or the server fails to start.
 * @example
 * const postgres = await startPostgres();
 * ValkeyQueueModule.forRoot({ connection, history: { postgres: { connectionString: postgres.url } } });
 * await postgres.kill(); await postgres.restart();
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<StartedPostgres> {
  const startupTimeout = options.startupTimeout ?? 30_000;
  const envUrl = process.env.DATABASE_URL;
  if (envUrl && options.binDir === undefined) return envPostgres(envUrl);

  const binaries = await findPostgresBinaries(options.binDir);
  if (binaries) return startBinaryPostgres(binaries, startupTimeout);

  const testcontainers = await loadTestcontainers();
  if (testcontainers) return startContainerPostgres(testcontainers, startupTimeout);

  throw new ValkeyHarnessError(NO_SERVER_MESSAGE);
}

function envPostgres(url: string): StartedPostgres {
  const notOwned = (action: string): Promise<never> =>
    Promise.reject(
      new ValkeyHarnessError(`${action}() needs a server started by the harness, not DATABASE_URL`),
    );
  return {
    url,
    source: 'env',
    stop: () => Promise.resolve(),
    kill: () => notOwned('kill'),
    restart: () => notOwned('restart'),
  };
}
