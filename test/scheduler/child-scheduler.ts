import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { ConnectionOptions, ScheduleDefinition } from 'nestjs-valkey-queue';
import { deferred, type Deferred } from 'nestjs-valkey-queue/testing';

const fixture = fileURLToPath(new URL('./fixtures/scheduler-process.ts', import.meta.url));
const loader = fileURLToPath(new URL('../workers/fixtures/ts-loader.mjs', import.meta.url));

/** What one child app instance runs (see fixtures/scheduler-process.ts). */
export interface SchedulerChildConfig {
  /** `{ url }`, or `{ nodes }` on the cluster run (`valkey().connection`): plain JSON. */
  connection: ConnectionOptions;
  /** Upserted at bootstrap by every instance; its queue is consumed by the child's worker. */
  schedule: ScheduleDefinition & { every: number; startAt: number };
  /** Name of the child's `@Scheduled` method, which runs every second (`* * * * * *`). */
  scheduledName: string;
  /** Worker `claimIdle` (ms), also the module default for the internal `@Scheduled` worker. */
  claimIdle: number;
  /** How long the worker's handler takes (ms). */
  handlerMs: number;
}

/** The worker's handler started, hung (never finishes) or finished a tick message. */
export interface HandlerReport {
  type: 'start' | 'hang' | 'done';
  /** Envelope id, `<schedule name>:<tick>`. */
  id: string;
  /** Tick time (epoch ms), from the message's `vq-tick` header. */
  tick: number;
  attempt: number;
  pid: number;
}

/** The `@Scheduled` method ran (or started a run that never ends: `run-hang`) for the tick at `tick` (epoch ms). */
export interface RunReport {
  type: 'run' | 'run-hang';
  tick: number;
  pid: number;
}

/** A report of the child process. */
export type SchedulerChildReport =
  { type: 'ready'; pid: number; consumer: string } | HandlerReport | RunReport;

/** An app instance in a child process, running the library from source through a TS loader. */
export class SchedulerChild {
  readonly process: ChildProcess;
  readonly ready: Deferred<void> = deferred<void>();
  readonly exited: Promise<number | null>;
  private stderr = '';

  constructor(config: SchedulerChildConfig, onReport: (report: SchedulerChildReport) => void) {
    this.process = fork(fixture, [], {
      execArgv: ['--import', loader], // not jest's --experimental-vm-modules
      env: { ...process.env, VQ_CHILD_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-8_000);
    });
    this.process.on('message', (message: SchedulerChildReport) => {
      if (message.type === 'ready') this.ready.resolve();
      onReport(message);
    });
    this.exited = once(this.process, 'exit').then(([code]) => code as number | null);
    void this.exited.then((code) =>
      this.ready.reject(new Error(`child exited (${code}) before ready: ${this.stderr}`)),
    );
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** What the child wrote to stderr (warnings and errors; for failure messages). */
  get errors(): string {
    return this.stderr;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The worker's next message never finishes (reported as `hang`), so the process dies mid-run. */
  hangOnNextMessage(): void {
    this.process.send({ cmd: 'hang' });
  }

  /** The next `@Scheduled` run never finishes (reported as `run-hang`), so the process dies mid-run. */
  hangOnNextRun(): void {
    this.process.send({ cmd: 'hang-run' });
  }

  /** Cancels `hangOnNextMessage()` and `hangOnNextRun()` not used yet. */
  disarm(): void {
    if (this.alive) this.process.send({ cmd: 'disarm' });
  }

  kill(signal: NodeJS.Signals): void {
    if (this.alive) this.process.kill(signal);
  }

  /** SIGTERM (graceful shutdown), then SIGKILL if it has not exited within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
