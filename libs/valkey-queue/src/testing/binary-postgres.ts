import { spawn } from 'node:child_process';
import { chown, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inTempDir, onFreePort } from './launch.js';
import { LocalServer } from './local-server.js';
import { spawnUntilReady, type ServerProcess } from './server-process.js';
import { ValkeyHarnessError, ValkeyStartupError } from './valkey-harness.error.js';
import type { PostgresBinaries } from './find-postgres-binaries.js';
import type { StartedPostgres } from './start-postgres.types.js';

/** What the postmaster logs once it takes connections. */
const READY_LINE = 'database system is ready to accept connections';
const MAX_OUTPUT_CHARS = 64 * 1024;
const SUPERUSER = 'postgres';

/** The OS account to run as: PostgreSQL refuses to run as root, so root runs it as `postgres` (or `nobody`). */
interface RunAs {
  uid: number;
  gid: number;
}

/**
 * initdb in a fresh temp dir, then the server on a free loopback port (no Unix socket outside the dir).
 * Durability knobs are off (fsync) because a test kills processes, not machines: committed rows survive a SIGKILL.
 */
export async function startBinaryPostgres(
  binaries: PostgresBinaries,
  startupTimeout: number,
): Promise<StartedPostgres> {
  const runAs = await accountToRunAs();
  return inTempDir('postgres-test-', async (dir) => {
    if (runAs) await chown(dir, runAs.uid, runAs.gid);
    const data = join(dir, 'data');
    await runToEnd(
      binaries.initdb,
      ['-D', data, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'],
      runAs,
    );
    return onFreePort(async (port) => {
      const args = [
        '-D', data, '-p', String(port), '-k', dir,
        '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off',
        '-c', 'max_connections=200', '-c', 'logging_collector=off',
      ]; // prettier-ignore
      const spawnServer = (): Promise<ServerProcess> =>
        spawnPostgres(binaries.postgres, args, runAs, startupTimeout);
      return new BinaryPostgres(dir, port, await spawnServer(), spawnServer);
    });
  });
}

async function accountToRunAs(): Promise<RunAs | undefined> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const name of [SUPERUSER, 'nobody']) {
    const line = passwd.split('\n').find((entry) => entry.startsWith(`${name}:`));
    if (line) {
      const [, , uid, gid] = line.split(':');
      return { uid: Number(uid), gid: Number(gid) };
    }
  }
  throw new ValkeyHarnessError('PostgreSQL does not run as root, and there is no postgres or nobody account');
}

function runToEnd(binary: string, args: string[], runAs: RunAs | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], ...runAs });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) =>
      reject(new ValkeyStartupError(`Could not run ${binary}: ${error.message}`, output)),
    );
    child.once('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new ValkeyStartupError(`${binary} failed (${signal ?? `code ${code}`})`, output)),
    );
  });
}

/**
 * The postmaster in a process group of its own, so kill() reaches the backends too: orphaned backends
 * would hold the shared memory and stop a restart. SIGINT is its fast shutdown.
 */
function spawnPostgres(
  binary: string,
  args: string[],
  runAs: RunAs | undefined,
  timeoutMs: number,
): Promise<ServerProcess> {
  return spawnUntilReady(binary, args, {
    readyLine: READY_LINE,
    timeoutMs,
    detached: true,
    ...runAs,
    stopSignal: 'SIGINT',
    killGroup: true,
  });
}

/** A PostgreSQL server run by the harness from local binaries. */
class BinaryPostgres extends LocalServer implements StartedPostgres {
  readonly source = 'binary';
  readonly url: string;

  constructor(
    dir: string,
    readonly port: number,
    server: ServerProcess,
    private readonly spawnServer: () => Promise<ServerProcess>,
  ) {
    super(dir, server, 'PostgreSQL');
    this.url = `postgres://${SUPERUSER}@127.0.0.1:${port}/postgres`;
  }

  protected respawn(): Promise<ServerProcess> {
    return this.spawnServer();
  }
}
