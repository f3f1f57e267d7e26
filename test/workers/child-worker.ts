import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { deferred, type Deferred } from 'nestjs-valkey-queue/testing';
import { connectionFor } from '../utils/topology.js';

const fixture = fileURLToPath(new URL('./fixtures/worker-process.mjs', import.meta.url));
const loader = fileURLToPath(new URL('./fixtures/ts-loader.mjs', import.meta.url));

/** A report of the child worker (see fixtures/worker-process.mjs). */
export type ChildReport =
  | { type: 'ready'; consumer: string; pid: number }
  | { type: 'start' | 'done'; id: string; attempt: number; pid: number; priority?: number }
  | { type: 'dead'; id: string; attempts: number; error: string };

/** A worker app in a child process, running the library from source through a TS loader. */
export class ChildWorker {
  readonly process: ChildProcess;
  readonly ready: Deferred<string> = deferred<string>();
  readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(config: Record<string, unknown>, onReport: (report: ChildReport) => void) {
    this.process = fork(fixture, [], {
      execArgv: ['--import', loader],
      // The connection options, not just the URL: on the cluster run the URL stands for a whole cluster.
      env: {
        ...process.env,
        VQ_CHILD_CONFIG: JSON.stringify({ ...config, connection: connectionFor(String(config.url)) }),
      },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.process.on('message', (message: ChildReport) => {
      if (message.type === 'ready') this.ready.resolve(message.consumer);
      onReport(message);
    });
    this.exited = once(this.process, 'exit').then(([code]) => code as number | null);
    void this.exited.then((code) =>
      this.ready.reject(new Error(`child exited (${code}) before ready: ${this.stderr}`)),
    );
  }

  /** What the child wrote to stderr (for failure messages). */
  get errors(): string {
    return this.stderr;
  }

  kill(signal: NodeJS.Signals): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }
}
