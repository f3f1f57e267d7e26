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
  /** SIGTERM, then wait for exit (SIGKILL if it takes longer than 10 s). No-op once exited. */
  terminate(): Promise<void>;
  /** SIGKILL, then wait for exit. No-op once exited. */
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
export async function spawnServerProcess(
  binary: string,
  configFile: string,
  timeoutMs: number,
  { args = [], readyLine = READY_LINE, ownProcessGroup = false }: SpawnOptions = {},
): Promise<ServerProcess> {
  const child = spawn(binary, [configFile, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: ownProcessGroup,
  });
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

  const timer = setTimeout(() => {
    ready.reject(new ValkeyStartupError(`${binary} was not ready within ${timeoutMs} ms`, output));
  }, timeoutMs);
  try {
    await ready.promise;
  } catch (error) {
    child.kill('SIGKILL');
    await exit.promise;
    throw error;
  } finally {
    clearTimeout(timer);
  }
  return serverProcess(child, exit.promise, () => output);
}

function serverProcess(child: ChildProcess, exit: Promise<void>, output: () => string): ServerProcess {
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    pid: child.pid!,
    get exited() {
      return hasExited();
    },
    output,
    async terminate() {
      if (hasExited()) return;
      child.kill('SIGTERM');
      const fallback = setTimeout(() => child.kill('SIGKILL'), TERMINATE_GRACE_MS);
      await exit;
      clearTimeout(fallback);
    },
    async kill() {
      if (hasExited()) return;
      child.kill('SIGKILL');
      await exit;
    },
  };
}
