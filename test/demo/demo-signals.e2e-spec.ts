import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { findServerBinary } from '../../libs/valkey-queue/src/testing/find-server-binary.js';

const demo = fileURLToPath(new URL('../../apps/sample/src/demo.ts', import.meta.url));
const loader = fileURLToPath(new URL('../workers/fixtures/ts-loader.mjs', import.meta.url));
const READY_LINE = 'Press Ctrl-C to stop';
/** A whole demo run per test: about 10 s alone, more on a busy machine or with a cold loader cache. */
const DEMO_RUN_TIMEOUT = 90_000;

/** The demo in a child process, run from source; `ownGroup` puts it in a process group of its own. */
class DemoProcess {
  readonly process: ChildProcess;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  output = '';

  constructor(ownGroup: boolean, args: string[] = []) {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0' };
    delete env.VALKEY_URL; // the demo must start (and stop) a server of its own
    delete env.VALKEY_QUEUE_URL;
    this.process = spawn(process.execPath, ['--import', loader, demo, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: ownGroup,
    });
    const collect = (chunk: Buffer): void => {
      this.output += chunk.toString('utf8');
    };
    this.process.stdout?.on('data', collect);
    this.process.stderr?.on('data', collect);
    this.exited = once(this.process, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  }

  get pid(): number {
    return this.process.pid!;
  }

  /** Waits for the summary's last line; returns the embedded server's PID printed in it. */
  async summary(deadlineMs = 75_000): Promise<number> {
    const deadline = Date.now() + deadlineMs;
    while (!this.output.includes(READY_LINE)) {
      if (this.process.exitCode !== null || Date.now() > deadline)
        throw new Error(`the demo printed no summary:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pid = /\bpid (\d+)/.exec(this.output)?.[1];
    if (!pid) throw new Error(`no server PID in the summary:\n${this.output}`);
    return Number(pid);
  }

  /** What it printed after the summary. */
  afterSummary(): string {
    const lineEnd = this.output.indexOf('\n', this.output.indexOf(READY_LINE));
    return lineEnd < 0 ? '' : this.output.slice(lineEnd).trim();
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** PIDs of the live processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

/** What the summary promises: quiet boot, every endpoint listed, and endpoints that cover both instances. */
async function expectTruthfulEndpoints(output: string): Promise<void> {
  expect(output).not.toMatch(/\b(LOG|DEBUG|VERBOSE)\b \[/); // warn level unless --verbose
  expect(output).not.toMatch(/^\s+at /m); // no stack traces for the scripted failures
  const url = /curl -s (http:\/\/\S+)\/health/.exec(output)?.[1];
  expect(url).toBeDefined();
  for (const path of ['/health', '/queues', '/activity', '/metrics', '/registrations', '/sessions/'])
    expect(output).toContain(`${url}${path}`);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  const processed = /messages_processed_total\{queue="registrations"[^}]*\} (\d+)/.exec(metrics)?.[1];
  expect(Number(processed)).toBe(2); // ada and flaky, whichever instance handled them
  const health = (await (await fetch(`${url}/health`)).json()) as {
    details: { queues: { queues: Record<string, { consumers: number }> } };
  };
  expect(health.details.queues.queues.registrations.consumers).toBe(2); // two live instances
  const activity = (await (await fetch(`${url}/activity`)).json()) as { kind: string }[];
  expect(new Set(activity.map(({ kind }) => kind))).toEqual(
    new Set(['processed', 'retrying', 'dead', 'broken', 'welcome', 'report', 'cleanup', 'session']),
  );
}

// The demo embeds a server binary (VALKEY_URL is ignored here); a Docker-only machine has no PID to check.
const describeWithBinary = (await findServerBinary()) ? describe : describe.skip;

describeWithBinary('the demo on a signal (child process)', () => {
  const started: DemoProcess[] = [];
  afterEach(() => {
    for (const child of started.splice(0)) if (child.process.exitCode === null) child.process.kill('SIGKILL');
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'stops the embedded server and leaves no child process on %s to node alone',
    async (signal) => {
      const child = new DemoProcess(false);
      started.push(child);
      const serverPid = await child.summary();
      await expectTruthfulEndpoints(child.output);
      const children = childrenOf(child.pid);
      expect(children).toContain(serverPid);

      child.process.kill(signal);
      const [code] = await child.exited;

      expect(code).toBe(0);
      expect(isRunning(serverPid)).toBe(false);
      expect(children.filter(isRunning)).toEqual([]);
    },
    DEMO_RUN_TIMEOUT,
  );

  it(
    'with --ci, prints the summary without the Try list and exits, stopping the server',
    async () => {
      const child = new DemoProcess(false, ['--ci']);
      started.push(child);
      const [code] = await child.exited;

      expect(code).toBe(0);
      expect(child.output.match(/^ {2}ok {3}/gm)).toHaveLength(9);
      expect(child.output).not.toContain('Try');
      expect(child.output).not.toContain('curl');
      const serverPid = Number(/\bpid (\d+)/.exec(child.output)?.[1]);
      expect(isRunning(serverPid)).toBe(false);
    },
    DEMO_RUN_TIMEOUT,
  );

  it(
    'stops quietly on a terminal Ctrl-C (SIGINT to the whole process group)',
    async () => {
      const child = new DemoProcess(true);
      started.push(child);
      const serverPid = await child.summary();

      process.kill(-child.pid, 'SIGINT'); // what a terminal does: every process of the foreground group
      const [code] = await child.exited;

      expect(code).toBe(0);
      expect(isRunning(serverPid)).toBe(false);
      expect(child.afterSummary()).toBe(''); // no warnings about a server that went away first
    },
    DEMO_RUN_TIMEOUT,
  );
});
