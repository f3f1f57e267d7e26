import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inTempDir, onFreePort } from './launch.js';
import { spawnServerProcess, type ServerProcess } from './server-process.js';
import type { StartedSentinel, TopologyAddress } from './topology.types.js';

/** What a Sentinel logs once it monitors the primary (it never logs "Ready to accept connections"). */
const SENTINEL_READY_LINE = '+monitor master';

/** What one Sentinel monitors and how fast it reacts. */
export interface SentinelSettings {
  name: string;
  primary: TopologyAddress;
  quorum: number;
  downAfter: number;
  failoverTimeout: number;
  /** Password of the monitored servers (`sentinel auth-pass`). */
  password?: string;
}

/**
 * Starts `binary <config> --sentinel` on a free loopback port, in a fresh temp dir (Sentinels rewrite
 * their config file, so it must be writable and private). The dir is removed when it stops.
 */
export async function startSentinelProcess(
  binary: string,
  settings: SentinelSettings,
  startupTimeout: number,
): Promise<StartedSentinel> {
  return inTempDir('valkey-sentinel-', (dir) => {
    const configFile = join(dir, 'sentinel.conf');
    return onFreePort(async (port) => {
      await writeFile(configFile, renderSentinelConfig(port, dir, settings), { mode: 0o600 });
      const server = await spawnServerProcess(binary, configFile, startupTimeout, {
        args: ['--sentinel'],
        readyLine: SENTINEL_READY_LINE,
      });
      return sentinelHandle(port, dir, server);
    });
  });
}

function renderSentinelConfig(port: number, dir: string, settings: SentinelSettings): string {
  const { name, primary, quorum, downAfter, failoverTimeout, password } = settings;
  const lines = [
    'bind 127.0.0.1',
    `port ${port}`,
    `dir "${dir}"`,
    'logfile ""',
    `sentinel monitor ${name} ${primary.host} ${primary.port} ${quorum}`,
    `sentinel down-after-milliseconds ${name} ${downAfter}`,
    `sentinel failover-timeout ${name} ${failoverTimeout}`,
    `sentinel parallel-syncs ${name} 1`,
  ];
  if (password !== undefined) lines.push(`sentinel auth-pass ${name} ${password}`);
  return `${lines.join('\n')}\n`;
}

function sentinelHandle(port: number, dir: string, server: ServerProcess): StartedSentinel {
  let stopping: Promise<void> | undefined;
  return {
    host: '127.0.0.1',
    port,
    get pid() {
      return server.exited ? undefined : server.pid;
    },
    stop() {
      stopping ??= server.terminate().then(() => rm(dir, { recursive: true, force: true }));
      return stopping;
    },
    kill: () => server.kill(),
  };
}
