// The packed library as a new user gets it: builds and packs nestjs-valkey-queue, creates two
// scratch Nest apps outside the workspace (CommonJS and ESM), installs the tarball with the
// packages docs/getting-started.md tells users to add, compiles the documentation's code blocks
// marked `<!-- consumer-test: compile <file> [esm] -->` into both apps (CommonJS also under
// `nodenext`, ESM also under `bundler`), then boots each app against a real Valkey, sends a
// sign-up through the documented SignUpService, waits for the documented worker to log it and
// asks GET /health for a 200. Any doc block that stops compiling or working fails the run.
//
// Usage: node scripts/consumer-test.mjs [--keep] [--no-build]   (--keep leaves the scratch folder
// for a look; --no-build packs the library as last built)
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildAndPack } from './check-package.mjs';

const root = fileURLToPath(new URL('../', import.meta.url));
const documents = ['docs/getting-started.md', 'docs/health.md', 'docs/dashboard.md'];
const keep = process.argv.includes('--keep');

/** The workspace's installed version of a package, so the scratch apps test what CI tests. */
const workspaceVersion = (name) =>
  JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

/** `{ file, esmOnly, code }` for every block marked `<!-- consumer-test: compile ... -->`. */
export function compiledBlocks(markdown, source) {
  const marked = /<!-- consumer-test: compile (\S+)( esm)? -->\s*\n```ts\n([\s\S]*?)\n```/g;
  const blocks = [...markdown.matchAll(marked)].map(([, file, esm, code]) => ({
    file,
    esmOnly: Boolean(esm),
    code: `// from ${source}\n${code}\n`,
  }));
  const markers = markdown.match(/<!-- consumer-test: compile /g)?.length ?? 0;
  if (markers !== blocks.length)
    throw new Error(
      `${source}: ${markers} compile markers, but only ${blocks.length} precede a \`\`\`ts block`,
    );
  return blocks;
}

/** The packages of the `npm install` line marked `<!-- consumer-test: install -->`. */
function documentedPackages(markdown) {
  const line = /<!-- consumer-test: install -->\s*\n```bash\nnpm install ([^\n]+)\n```/.exec(markdown);
  if (!line) throw new Error('docs/getting-started.md: no `npm install` block marked consumer-test: install');
  return line[1].trim().split(/\s+/);
}

// The app around the documented pieces: a controller in another module injects SignUpService
// (so SignUpModule must export it), and the worker, schedules and health module come along.
const consumerModule = `import { Body, Controller, Module, Post } from '@nestjs/common';
import { AppModule } from './app.module.js';
import { HealthModule } from './health.module.js';
import { Schedules } from './schedules.js';
import { SignUpModule, SignUpService, type SignUp } from './sign-up.module.js';
import { SignUpWorker } from './sign-up.worker.js';

@Controller('sign-ups')
export class SignUpController {
  constructor(private readonly signUps: SignUpService) {}

  @Post()
  async register(@Body() signUp: SignUp): Promise<{ id: string }> {
    return { id: await this.signUps.register(signUp) };
  }
}

@Module({
  imports: [AppModule, SignUpModule, HealthModule],
  controllers: [SignUpController],
  providers: [SignUpWorker, Schedules],
})
export class ConsumerModule {}
`;

const consumerMain = `import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConsumerModule } from './consumer.module.js';

async function main(): Promise<void> {
  const app = await NestFactory.create(ConsumerModule, { logger: ['log', 'warn', 'error'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}
void main();
`;

const compilerOptions = {
  target: 'ES2022',
  lib: ['ES2023'],
  strict: true,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  skipLibCheck: true,
  types: ['node'],
  rootDir: 'src',
  outDir: 'dist',
};

/** The two apps: how each is set up, and the extra configurations it must type-check under. */
const apps = [
  {
    name: 'commonjs-app',
    packageJson: {},
    tsconfig: { module: 'commonjs' },
    // What `nest new` scaffolds for a CommonJS Nest 11 app (package.json without "type").
    alsoChecks: { 'tsconfig.nodenext.json': { module: 'nodenext', moduleResolution: 'nodenext' } },
    installFlags: [],
  },
  {
    name: 'esm-app',
    packageJson: { type: 'module' },
    tsconfig: { module: 'nodenext', moduleResolution: 'nodenext' },
    alsoChecks: { 'tsconfig.bundler.json': { module: 'preserve', moduleResolution: 'bundler' } },
    // No hoisting: the app can import only what it installed itself, as under pnpm.
    installFlags: ['--install-strategy=nested'],
  },
];

const run = (command, args, cwd) => execFileSync(command, args, { cwd, stdio: 'inherit' });

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what, condition, deadlineMs) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await condition().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function setUpApp(app, scratch, tarball, blocks, packages) {
  const dir = join(scratch, app.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: app.name, private: true, ...app.packageJson }, null, 2),
  );
  const config = (extra, emit) => ({
    compilerOptions: { ...compilerOptions, ...extra, ...(emit ? {} : { noEmit: true }) },
    include: ['src/**/*.ts'],
  });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(config(app.tsconfig, true), null, 2));
  for (const [file, extra] of Object.entries(app.alsoChecks))
    writeFileSync(join(dir, file), JSON.stringify(config(extra, false), null, 2));
  for (const block of blocks)
    if (!block.esmOnly || app.packageJson.type === 'module')
      writeFileSync(join(dir, 'src', block.file), block.code);
  writeFileSync(join(dir, 'src/consumer.module.ts'), consumerModule);
  writeFileSync(join(dir, 'src/consumer-main.ts'), consumerMain);

  const pinned = packages.map((name) =>
    name === 'nestjs-valkey-queue' ? tarball : `${name}@${workspaceVersion(name)}`,
  );
  const quiet = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...app.installFlags];
  run(
    'npm',
    [
      'install',
      ...quiet,
      ...pinned,
      '@nestjs/platform-express@' + workspaceVersion('@nestjs/platform-express'),
    ],
    dir,
  );
  run(
    'npm',
    [
      'install',
      ...quiet,
      '--save-dev',
      `typescript@${workspaceVersion('typescript')}`,
      `@types/node@${workspaceVersion('@types/node')}`,
    ],
    dir,
  );
  return dir;
}

function compile(app, dir) {
  const tsc = join(dir, 'node_modules/typescript/bin/tsc');
  for (const project of ['tsconfig.json', ...Object.keys(app.alsoChecks)]) {
    console.log(`${app.name}: tsc -p ${project}`);
    run(process.execPath, [tsc, '-p', project], dir);
  }
  const main = readFileSync(join(dir, 'dist/consumer-main.js'), 'utf8');
  const isCommonJs = main.includes('require("@nestjs/core")');
  if (isCommonJs !== (app.packageJson.type !== 'module'))
    throw new Error(
      `${app.name}: compiled to ${isCommonJs ? 'CommonJS' : 'ESM'}, not what the app is meant to test`,
    );
}

async function boot(app, dir, valkeyUrl) {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/consumer-main.js'], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), VALKEY_QUEUE_URL: valkeyUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  try {
    await until(
      'the app to answer GET /health with 200',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) return 'exited';
        return (await globalThis.fetch(`${base}/health`)).status === 200;
      },
      30_000,
    ).then((state) => {
      if (state === 'exited') throw new Error(`${app.name}: exited before answering GET /health`);
    });
    const email = `${app.name}-${Date.now()}@example.com`;
    const response = await globalThis.fetch(`${base}/sign-ups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, plan: 'pro' }),
    });
    if (response.status !== 201)
      throw new Error(`${app.name}: POST /sign-ups answered ${response.status}: ${await response.text()}`);
    const { id } = await response.json();
    await until(
      `the worker to handle ${id}`,
      async () => output.includes(`account for ${email} (attempt 1)`),
      15_000,
    );
    const after = await globalThis.fetch(`${base}/health`);
    if (after.status !== 200)
      throw new Error(`${app.name}: GET /health answered ${after.status}: ${await after.text()}`);
    console.log(`${app.name}: booted, GET /health 200, sign-up ${id} sent and handled, GET /health 200`);
  } catch (error) {
    console.error(output);
    throw error;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

async function main() {
  const scratch = mkdtempSync(join(tmpdir(), 'vq-consumer-test-'));
  try {
    const tarball = buildAndPack(scratch);
    const gettingStarted = readFileSync(join(root, 'docs/getting-started.md'), 'utf8');
    const packages = documentedPackages(gettingStarted);
    const blocks = documents.flatMap((document) =>
      compiledBlocks(readFileSync(join(root, document), 'utf8'), document),
    );
    const dirs = apps.map((app) => setUpApp(app, scratch, tarball, blocks, packages));
    apps.forEach((app, index) => compile(app, dirs[index]));

    // The library's own harness, as the installed package exports it, starts the server.
    const esmDir = dirs[apps.findIndex((app) => app.packageJson.type === 'module')];
    const harness = createRequire(join(esmDir, 'package.json')).resolve('nestjs-valkey-queue/testing');
    const { startValkey } = await import(pathToFileURL(harness).href);
    const valkey = await startValkey();
    try {
      for (const [index, app] of apps.entries()) await boot(app, dirs[index], valkey.url);
    } finally {
      await valkey.stop();
    }
    console.log(
      `consumer test passed: ${blocks.length} doc blocks compiled and run in ${apps.map((app) => app.name).join(' and ')}`,
    );
  } finally {
    if (keep) console.log(`scratch apps kept in ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
