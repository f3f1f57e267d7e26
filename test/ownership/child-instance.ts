import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OwnershipOptions } from 'nestjs-valkey-queue';
import { connectionFor } from '../utils/topology.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const lib = join(root, 'libs/valkey-queue');
const fixture = fileURLToPath(new URL('./fixtures/ownership-instance.mjs', import.meta.url));

/** Newest modification time (ms) of the files under `dir` matching `pattern`. */
const newest = (dir: string, pattern: RegExp): number =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => pattern.test(file))
    .reduce((latest, file) => Math.max(latest, statSync(join(dir, file)).mtimeMs), 0);

/**
 * Child instances run the BUILT library (libs/valkey-queue/dist). Builds it with `npm run build:lib`
 * when dist is missing, lacks stream ownership, or is older than the ownership sources or scripts.
 */
export function ensureBuiltLibrary(): void {
  const dist = join(lib, 'dist');
  const marker = join(dist, 'ownership/stream-ownership.service.js');
  const built =
    existsSync(marker) && existsSync(join(dist, 'lua/take-lease.lua')) ? statSync(marker).mtimeMs : 0;
  const sources = Math.max(
    newest(join(lib, 'src/ownership'), /(?<!\.spec)\.ts$/),
    newest(join(lib, 'src/lua'), /\.(lua|ts)$/),
    statSync(join(lib, 'src/index.ts')).mtimeMs,
  );
  if (built >= sources) return;
  try {
    execFileSync('npm', ['run', '-s', 'build:lib'], { cwd: root, stdio: 'pipe', timeout: 240_000 });
  } catch (error) {
    const output = (error as { stdout?: Buffer; stderr?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`npm run build:lib failed; child instances need libs/valkey-queue/dist:\n${output}`, {
      cause: error,
    });
  }
}

/** Messages a child instance sends (see fixtures/ownership-instance.mjs). */
export type ChildMessage = { kind: string; [field: string]: unknown };

/** Options of one child instance. */
export interface ChildOptions {
  url: string;
  ownership: OwnershipOptions;
  /** Claim every stream announced as expired. */
  claimOnExpired?: boolean;
  /** Fenced writes to the stream's log every this many ms while holding a lease. */
  writeEvery?: number;
}

/** An ownership instance in a child process, running the built library. */
export class ChildInstance {
  readonly messages: ChildMessage[] = [];
  consumer = '';
  private readonly process: ChildProcess;
  private readonly listeners = new Set<(message: ChildMessage) => void>();
  private readonly exited: Promise<void>;
  private nextId = 0;
  stderr = '';

  private constructor(options: ChildOptions) {
    // execArgv: [] drops jest's --experimental-vm-modules; the fixture is plain ESM.
    // The connection options, not just the URL: on the cluster run the URL stands for a whole cluster.
    const config = { ...options, connection: connectionFor(options.url) };
    this.process = fork(fixture, [JSON.stringify(config)], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4_000);
    });
    this.process.on('message', (message: ChildMessage) => {
      this.messages.push(message);
      for (const listener of [...this.listeners]) listener(message);
    });
    this.exited = new Promise((resolve) => this.process.once('exit', () => resolve()));
  }

  /**
   * Starts a child and resolves once its service is up. Retries while libs/valkey-queue/dist is
   * incomplete (another process rebuilding it: the build deletes dist first).
   */
  static async start(options: ChildOptions, timeoutMs = 30_000): Promise<ChildInstance> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await ChildInstance.startOnce(options, timeoutMs);
      } catch (error) {
        const rebuilding = /ERR_MODULE_NOT_FOUND|Cannot find module|ENOENT[^\n]*\/dist\//.test(String(error));
        if (!rebuilding || attempt >= 12) throw error;
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
    }
  }

  private static async startOnce(options: ChildOptions, timeoutMs: number): Promise<ChildInstance> {
    const child = new ChildInstance(options);
    let listener: ((message: ChildMessage) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      new Promise<ChildMessage>((resolve) => {
        listener = (message) => message.kind === 'ready' && resolve(message);
        child.listeners.add(listener);
      }),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      }),
      child.exited.then(() => undefined),
    ]).finally(() => {
      clearTimeout(timer);
      if (listener) child.listeners.delete(listener);
    });
    if (!ready) {
      await child.kill();
      throw new Error(`Child instance did not start within ${timeoutMs} ms or exited:\n${child.stderr}`);
    }
    child.consumer = String(ready.consumer);
    return child;
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Calls `listener` with every message, past and future. */
  onMessage(listener: (message: ChildMessage) => void): void {
    this.messages.forEach(listener);
    this.listeners.add(listener);
  }

  /** The first message (recorded or future) matching `predicate`. */
  next(predicate: (message: ChildMessage) => boolean, timeoutMs = 20_000): Promise<ChildMessage> {
    const seen = this.messages.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (message: ChildMessage): void => {
        if (!predicate(message)) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve(message);
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(
          new Error(`Child ${this.consumer}: no matching message within ${timeoutMs} ms\n${this.stderr}`),
        );
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Sends a command and resolves its reply. */
  request(command: Record<string, unknown>, timeoutMs = 30_000): Promise<ChildMessage> {
    const id = (this.nextId += 1);
    const reply = this.next((message) => message.kind === 'reply' && message.id === id, timeoutMs);
    this.process.send({ ...command, id });
    return reply;
  }

  /** Fire-and-forget command (e.g. a stall whose end is not awaited). */
  send(command: Record<string, unknown>): void {
    if (this.alive) this.process.send({ ...command, id: (this.nextId += 1) });
  }

  /** Events the child's `events$` emitted (leases reduced to their token). */
  events(type?: string): Record<string, unknown>[] {
    return this.messages
      .filter((message) => message.kind === 'event')
      .map((message) => message.event as Record<string, unknown>)
      .filter((event) => type === undefined || event.type === type);
  }

  /** SIGKILL: no shutdown hook, no hand-back; its leases lapse after the TTL. */
  async kill(): Promise<void> {
    if (this.alive) this.process.kill('SIGKILL');
    await this.exited;
  }

  /** Graceful shutdown (hand-back), falling back to SIGKILL. */
  async close(timeoutMs = 10_000): Promise<void> {
    if (!this.alive) return this.exited;
    this.process.send({ cmd: 'close' });
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}
