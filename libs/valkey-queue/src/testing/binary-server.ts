import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inTempDir, onFreePort } from './launch.js';
import { LocalServer } from './local-server.js';
import { renderServerConfig } from './server-config.js';
import { spawnServerProcess, type ServerProcess, type SpawnOptions } from './server-process.js';
import type { StartedValkey, StartValkeyOptions, ValkeyTlsMaterial } from './start-valkey.types.js';
import { generateTlsCertificates, type TlsCertificates } from './tls-certificates.js';

/**
 * Starts `binary` on a free loopback port with a generated config in a fresh temp dir.
 * The temp dir is removed if starting fails.
 */
export async function startBinaryServer(
  binary: string,
  options: StartValkeyOptions,
  startupTimeout: number,
): Promise<StartedValkey> {
  return inTempDir('valkey-test-', async (dir) => {
    const tls = options.tls ? await generateTlsCertificates(dir) : undefined;
    const configFile = join(dir, 'valkey.conf');
    return onFreePort(async (port) => {
      await writeFile(configFile, renderServerConfig({ port, dir, tls, options }), { mode: 0o600 });
      const server = await spawnServerProcess(binary, configFile, startupTimeout, spawnOptions(options));
      return new BinaryValkey({ binary, configFile, dir, port, startupTimeout, server, options, tls });
    });
  });
}

const spawnOptions = ({ ownProcessGroup }: StartValkeyOptions): SpawnOptions => ({ ownProcessGroup });

interface BinaryValkeyInit {
  binary: string;
  configFile: string;
  dir: string;
  port: number;
  startupTimeout: number;
  server: ServerProcess;
  options: StartValkeyOptions;
  tls?: TlsCertificates;
}

/** A server process run by the harness from a local binary. */
class BinaryValkey extends LocalServer implements StartedValkey {
  readonly source = 'binary';
  readonly host = '127.0.0.1';
  readonly port: number;
  readonly url: string;
  readonly password?: string;
  readonly tls?: ValkeyTlsMaterial;
  readonly #init: BinaryValkeyInit;

  constructor(init: BinaryValkeyInit) {
    super(init.dir, init.server, 'the server');
    this.#init = init;
    this.port = init.port;
    this.url = `${init.tls ? 'rediss' : 'redis'}://${this.host}:${init.port}`;
    this.password = init.options.password;
    if (init.tls) {
      const { ca, cert, key, caFile, certFile, keyFile } = init.tls;
      this.tls = { ca, cert, key, caFile, certFile, keyFile };
    }
  }

  protected respawn(): Promise<ServerProcess> {
    const { binary, configFile, startupTimeout, options } = this.#init;
    return spawnServerProcess(binary, configFile, startupTimeout, spawnOptions(options));
  }
}
