import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import ts from 'typescript';
import { deferred } from 'nestjs-valkey-queue/testing';

const SOURCE_DIR = join(process.cwd(), 'libs/valkey-queue/src/testing');

// Runs in a plain Node process (not Jest), like a user's test runner would, so it crashes for real.
const FIXTURE = `
import { startValkey } from './index.js';
const server = await startValkey({ appendonly: true });
console.log(JSON.stringify({ pid: server.pid, port: server.port }));
process.stdin.once('data', () => {
  throw new Error('simulated test-runner crash');
});
`;

/** Transpiles the harness sources into `dir` as plain ESM, so plain Node can run them. */
async function transpileHarness(dir: string): Promise<void> {
  const files = (await readdir(SOURCE_DIR)).filter(
    (name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'),
  );
  for (const name of files) {
    const source = await readFile(join(SOURCE_DIR, name), 'utf8');
    const { outputText } = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    await writeFile(join(dir, name.replace(/\.ts$/, '.js')), outputText);
  }
  await writeFile(join(dir, 'package.json'), '{ "type": "module" }');
  await writeFile(join(dir, 'fixture.js'), FIXTURE);
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('process exit safety net', () => {
  let dir: string;
  let serverPid: number | undefined;
  let socket: Socket | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'valkey-crash-fixture-'));
    await transpileHarness(dir);
  });

  afterAll(async () => {
    socket?.destroy();
    if (serverPid !== undefined) {
      try {
        process.kill(serverPid, 'SIGKILL'); // Only reached if the safety net failed.
      } catch {
        // Already gone, as expected.
      }
    }
    await rm(dir, { recursive: true, force: true });
  });

  it('kills servers still running when the Node process crashes', async () => {
    // TMPDIR inside the fixture dir: the crashed server's temp dir goes away with it.
    const runner = spawn(process.execPath, [join(dir, 'fixture.js')], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TMPDIR: dir },
    });
    const runnerExit = deferred<number | null>();
    runner.once('exit', (code) => runnerExit.resolve(code));
    let stderr = '';
    runner.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

    const [firstLine] = await withTimeout(
      (async () => {
        for await (const line of createInterface({ input: runner.stdout })) return [line];
        throw new Error(`fixture printed nothing: ${stderr}`);
      })(),
      20_000,
      'fixture start',
    );
    const { pid, port } = JSON.parse(firstLine!) as { pid: number; port: number };
    serverPid = pid;

    // A connection to the server closes when the server process dies: an event to await instead of polling.
    const serverGone = deferred<void>();
    socket = connect({ host: '127.0.0.1', port });
    socket.on('error', () => undefined);
    socket.once('close', () => serverGone.resolve());
    await withTimeout(
      new Promise<void>((resolve) => socket!.once('connect', () => resolve())),
      5_000,
      'connect',
    );

    runner.stdin.end('crash\n');
    await expect(runnerExit.promise).resolves.toBe(1);
    expect(stderr).toContain('simulated test-runner crash');
    await expect(withTimeout(serverGone.promise, 5_000, 'server exit')).resolves.toBeUndefined();
    serverPid = undefined;
  });
});
