import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain ESM script without type declarations
import { decideValkeySource, gatherValkeyFacts } from './ensure-valkey.mjs';

type Decision = { action: 'ready' | 'install' | 'fail'; message?: string };
type Facts = {
  purpose: 'demo' | 'tests';
  envUrl?: string;
  serverBinEnv?: string;
  binary?: string;
  cli: boolean;
  docker: boolean;
  platform: NodeJS.Platform;
  apt: boolean;
  root: boolean;
  passwordlessSudo: boolean;
};

/** A machine with nothing: no server, no Docker, not Debian, no privileges. */
const bare: Facts = {
  purpose: 'demo',
  cli: false,
  docker: false,
  platform: 'linux',
  apt: false,
  root: false,
  passwordlessSudo: false,
};
const decide = (facts: Partial<Facts>): Decision => decideValkeySource({ ...bare, ...facts }) as Decision;

describe('ensure-valkey: what to do before the demo and the tests', () => {
  it.each(['demo', 'tests'] as const)(
    'goes on silently for the %s when the binaries are on PATH',
    (purpose) => {
      expect(decide({ purpose, binary: '/usr/bin/valkey-server', cli: true })).toEqual({ action: 'ready' });
    },
  );

  it('goes on for the demo with VALKEY_URL, or with Docker (saying so)', () => {
    expect(decide({ envUrl: 'redis://10.0.0.5:6379' })).toEqual({ action: 'ready' });
    expect(decide({ docker: true, apt: true, root: true })).toEqual({
      action: 'ready',
      message: 'No valkey-server on PATH: the demo runs Valkey in Docker.',
    });
  });

  it('installs on Debian/Ubuntu as root or with passwordless sudo, announced in one line', () => {
    const asRoot = decide({ apt: true, root: true });
    expect(asRoot.action).toBe('install');
    expect(asRoot.message).toBe(
      'No Valkey server on PATH and no Docker engine: installing Valkey with .ci/install-valkey.sh (apt-get).',
    );
    expect(decide({ apt: true, passwordlessSudo: true }).message).toMatch(/\(apt-get through sudo\)\.$/);
    expect(decide({ purpose: 'tests', apt: true, root: true, docker: true }).action).toBe('install');
  });

  it('never installs without privileges or off Debian: one line with the command to run', () => {
    expect(decide({ apt: true })).toEqual({
      action: 'fail',
      message:
        'No Valkey server found. Install one: sudo bash .ci/install-valkey.sh, start Docker, or set VALKEY_URL=redis://host:port.',
    });
    expect(decide({ platform: 'darwin', root: true }).message).toMatch(/Install one: brew install valkey, /);
    expect(decide({ purpose: 'tests' })).toEqual({
      action: 'fail',
      message: 'No Valkey server found. Install one: put valkey-server (or redis-server >= 7) on PATH.',
    });
  });

  it('runs the tests with Docker or VALKEY_URL alone, saying which tests will fail', () => {
    const decision = decide({ purpose: 'tests', docker: true, apt: true });
    expect(decision.action).toBe('ready');
    expect(decision.message).toMatch(
      /^No valkey-server on PATH: tests that need a server binary .* use Docker\./,
    );
    expect(decision.message).toMatch(/sudo bash \.ci\/install-valkey\.sh$/);
    expect(decide({ purpose: 'tests', envUrl: 'redis://h:1' }).message).toMatch(/the rest use VALKEY_URL/);
  });

  it('warns the tests about a missing valkey-cli (cluster and Sentinel tests)', () => {
    const decision = decide({ purpose: 'tests', binary: '/opt/valkey/valkey-server', apt: true });
    expect(decision).toEqual({
      action: 'ready',
      message:
        'No valkey-cli beside /opt/valkey/valkey-server: the cluster and Sentinel tests will fail. Install it (sudo bash .ci/install-valkey.sh) or set VALKEY_CLI_BIN.',
    });
  });

  it('stops on a VALKEY_SERVER_BIN that is not executable, rather than use something else', () => {
    expect(decide({ serverBinEnv: '/nope/valkey-server', binary: undefined, docker: true })).toEqual({
      action: 'fail',
      message: 'VALKEY_SERVER_BIN=/nope/valkey-server is not an executable file: fix it or unset it.',
    });
  });
});

describe('ensure-valkey: what it finds', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ensure-valkey-'));
    for (const name of ['redis-server', 'redis-cli']) {
      writeFileSync(join(dir, name), '#!/bin/sh\n');
      chmodSync(join(dir, name), 0o755);
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds redis-server and its CLI on PATH, without probing further', async () => {
    const facts = (await gatherValkeyFacts('tests', { PATH: dir })) as Facts;
    expect(facts).toMatchObject({ binary: join(dir, 'redis-server'), cli: true, docker: false, apt: false });
  });

  it('takes VALKEY_SERVER_BIN over PATH, and reports it missing when it is not executable', async () => {
    const named = (await gatherValkeyFacts('demo', {
      PATH: '',
      VALKEY_SERVER_BIN: join(dir, 'redis-server'),
    })) as Facts;
    expect(named.binary).toBe(join(dir, 'redis-server'));
    const missing = (await gatherValkeyFacts('demo', {
      PATH: dir,
      VALKEY_SERVER_BIN: join(dir, 'valkey-server'),
      VALKEY_URL: 'redis://h:1',
    })) as Facts;
    expect(missing).toMatchObject({ serverBinEnv: join(dir, 'valkey-server'), binary: undefined });
  });
});
