import { spawn, type ChildProcess } from 'node:child_process';
import { deferred } from './deferred.js';
import { trackServerProcess } from './process-registry.js';
import { ValkeyStartupError } from './valkey-harness.error.js';

/** The log line a server prints once it accepts connections (every listener prints one). */
const READY_LINE = 'Ready to accept connections';
/** Output kept for error messages; a server that runs for long must not grow memory. */
const MAX_OUTPUT_CHARS = 64 * 1024;
/** How long `terminate()` waits after SIGTERM before it falls back to SIGKILL. */
const TERMINATE_GRACE_MS = 10_000;

/** A server process that printed its ready line. */
export interface ServerProcess {
  /** Its PID. */
  readonly pid: number;
  /** Whether it has exited. */
  readonly exited: boolean;
  /** What it printed (the last 64 KiB). */
  output(): string;
  /** SIGTERM (or its stop signal), then wait for exit (SIGKILL after 10 s). No-op once exited. */
  terminate(): Promise<void>;
  /** SIGKILL (to its process group if so configured), then wait for exit. No-op once exited. */
  kill(): Promise<void>;
}

/** How to recognise a process that is not a plain server (a Sentinel). */
export interface SpawnOptions {
  /** Arguments after the config file, e.g. `['--sentinel']`. @default [] */
  args?: string[];
  /** The log text that means "ready". @default 'Ready to accept connections' */
  readyLine?: string;
  /** Run it in a process group of its own (see `StartValkeyOptions.ownProcessGroup`). @default false */
  ownProcessGroup?: boolean;
}

/**
 * Runs `binary configFile ...args` and resolves once the server logs that it is ready.
 * Rejects with a {@link ValkeyStartupError} carrying the output if it exits first or `timeoutMs` passes.
 */
export function spawnServerProcess(
  binary: string,
  configFile: string,
  timeoutMs: number,
  { args = [], readyLine = READY_LINE, ownProcessGroup = false }: SpawnOptions = {},
): Promise<ServerProcess> {
  return spawnUntilReady(binary, [configFile, ...args], { readyLine, timeoutMs, detached: ownProcessGroup });
}

/** How {@link spawnUntilReady} runs a process, recognises it as ready and stops it. */
export interface ReadyProcessOptions {
  /** The log text that means "ready". */
  readyLine: string;
  timeoutMs: number;
  /** Run it in a process group of its own. @default false */
  detached?: boolean;
  /** The OS account to run it as. @default the current one */
  uid?: number;
  gid?: number;
  /** What `terminate()` sends first. @default 'SIGTERM' */
  stopSignal?: NodeJS.Signals;
  /** SIGKILL the whole process group (a `detached` one), not just the process. @default false */
  killGroup?: boolean;
}

/**
 * Runs `binary ...args` and resolves once it logs `readyLine`.
 * Rejects with a {@link ValkeyStartupError} carrying the output if it exits first or `timeoutMs` passes.
 */
export async function spawnUntilReady(
  binary: string,
  args: string[],
  {
    readyLine,
    timeoutMs,
    detached = false,
    uid,
    gid,
    stopSignal = 'SIGTERM',
    killGroup = false,
  }: ReadyProcessOptions,
): Promise<ServerProcess> {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'], detached, uid, gid });
  const exit = deferred<void>();
  let output = '';
  const ready = deferred<void>();

  child.once('exit', () => exit.resolve());
  // 'close' comes after the pipes are drained, so the error carries the server's last words.
  child.once('close', (code, signal) => {
    ready.reject(
      new ValkeyStartupError(`${binary} exited (${signal ?? `code ${code}`}) before it was ready`, output),
    );
  });
  child.once('error', (error) => {
    // Spawning failed (ENOENT, EACCES): there will be no 'exit' event.
    exit.resolve();
    ready.reject(new ValkeyStartupError(`Could not run ${binary}: ${error.message}`, output));
  });
  if (child.pid !== undefined) trackServerProcess(child);

  // Keep reading both pipes for the server's whole life: a full pipe would block its logging.
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT_CHARS);
    if (output.includes(readyLine)) ready.resolve();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const server = serverProcess(child, exit.promise, () => output, stopSignal, killGroup);
  const timer = setTimeout(() => {
    ready.reject(new ValkeyStartupError(`${binary} was not ready within ${timeoutMs} ms`, output));
  }, timeoutMs);
  try {
    await ready.promise;
  } catch (error) {
    await server.kill();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return server;
}

function serverProcess(
  child: ChildProcess,
  exit: Promise<void>,
  output: () => string,
  stopSignal: NodeJS.Signals,
  killGroup: boolean,
): ServerProcess {
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const kill = async (): Promise<void> => {
    if (hasExited()) return;
    try {
      // A negative PID signals the whole group; if the group is gone, the process alone.
      if (killGroup) process.kill(-child.pid!, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    await exit;
  };
  return {
    get pid() {
      return child.pid!;
    },
    get exited() {
      return hasExited();
    },
    output,
    async terminate() {
      if (hasExited()) return;
      child.kill(stopSignal);
      const fallback = setTimeout(() => void kill(), TERMINATE_GRACE_MS);
      await exit;
      clearTimeout(fallback);
    },
    kill,
  };
}
