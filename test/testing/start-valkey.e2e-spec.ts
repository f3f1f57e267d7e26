import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import {
  startValkey,
  ValkeyHarnessError,
  ValkeyStartupError,
  type StartedValkey,
  type StartValkeyOptions,
} from 'nestjs-valkey-queue/testing';

const servers: StartedValkey[] = [];
const clients: Redis[] = [];

async function start(options?: StartValkeyOptions): Promise<StartedValkey> {
  const server = await startValkey(options);
  servers.push(server);
  return server;
}

/** A client that fails fast instead of reconnecting, so rejections surface in the test. */
function connect(url: string, options: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  client.on('error', () => undefined); // Failures are asserted through the command promises.
  clients.push(client);
  return client;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The process group of `pid`. */
const processGroupOf = (pid: number): number =>
  Number(execFileSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).trim());

function pick(...names: string[]): Record<string, string | undefined> {
  return Object.fromEntries(names.map((name) => [name, process.env[name]]));
}

function restoreEnv(saved: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

afterEach(async () => {
  // An ended client must not be disconnected again: ioredis would arm a 2 s timer waiting for a 'close'.
  for (const client of clients.splice(0)) if (client.status !== 'end') client.disconnect();
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

describe('startValkey', () => {
  it('starts a server that answers PING at its url', async () => {
    const server = await start();

    expect(server.url).toMatch(/^rediss?:\/\/[^@/]+:\d+$/);
    if (server.source === 'binary') {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(server.host).toBe('127.0.0.1');
      expect(server.pid).toEqual(expect.any(Number));
    }
    await expect(connect(server.url).ping()).resolves.toBe('PONG');
  });

  it('requires the password of the default user', async () => {
    const password = 'p@ss "word" \\ with spaces';
    const server = await start({ password });

    expect(server.password).toBe(password);
    expect(server.url).not.toContain('@');
    await expect(connect(server.url).ping()).rejects.toThrow(/NOAUTH/);
    await expect(connect(server.url, { password }).ping()).resolves.toBe('PONG');
  });

  it('creates ACL users', async () => {
    const server = await start({
      users: [
        { name: 'app', password: 's3cret' },
        { name: 'reader', password: 'r3ad', rules: '~* +@read +info' },
      ],
    });
    const client = connect(server.url);

    await expect(client.auth('app', 'wrong')).rejects.toThrow(/WRONGPASS/);
    await expect(client.auth('app', 's3cret')).resolves.toBe('OK');
    await expect(client.acl('WHOAMI')).resolves.toBe('app');
    await expect(client.set('k', 'v')).resolves.toBe('OK');

    const reader = connect(server.url, { username: 'reader', password: 'r3ad' });
    await expect(reader.get('k')).resolves.toBe('v');
    await expect(reader.set('k', 'w')).rejects.toThrow(/NOPERM/);
  });

  it('serves TLS only, with a throwaway CA and client certificate', async () => {
    const server = await start({ tls: true });
    const { ca, cert, key, caFile, certFile, keyFile } = server.tls!;

    expect(server.url).toBe(`rediss://127.0.0.1:${server.port}`);
    expect(ca).toContain('BEGIN CERTIFICATE');
    expect([caFile, certFile, keyFile].every((file) => existsSync(file))).toBe(true);
    await expect(connect(server.url, { tls: { ca } }).ping()).resolves.toBe('PONG');
    await expect(connect(server.url, { tls: { ca, cert, key } }).ping()).resolves.toBe('PONG');
    await expect(connect(`redis://127.0.0.1:${server.port}`).ping()).rejects.toThrow();
  });

  it('applies extra config directives', async () => {
    const server = await start({ config: { 'notify-keyspace-events': 'Ex' } });
    const [, flags] = (await connect(server.url).config('GET', 'notify-keyspace-events')) as string[];

    expect([...flags!].sort().join('')).toBe('Ex');
  });

  it('keeps AOF data across kill() and restart() on the same port', async () => {
    const server = await start({ appendonly: true });
    const { port, pid } = server;
    await expect(connect(server.url).set('survivor', 'yes')).resolves.toBe('OK');

    await server.kill();
    expect(isRunning(pid!)).toBe(false);
    expect(server.pid).toBeUndefined();
    await expect(connect(server.url).ping()).rejects.toThrow();

    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    await expect(connect(server.url).get('survivor')).resolves.toBe('yes');
  });

  it('ownProcessGroup runs the server in a process group of its own, after restart() too', async () => {
    const server = await start({ ownProcessGroup: true, appendonly: true });
    expect(processGroupOf(server.pid!)).toBe(server.pid);
    expect(processGroupOf(process.pid)).not.toBe(server.pid);

    await server.restart();
    expect(processGroupOf(server.pid!)).toBe(server.pid);
    await expect(connect(server.url).ping()).resolves.toBe('PONG');
  });

  it('stop() ends the process, removes the temp dir and is idempotent', async () => {
    const server = await startValkey({ tls: true });
    const { pid } = server;
    const dir = dirname(dirname(server.tls!.caFile));
    expect(dir).toContain('valkey-test-');

    await server.stop();
    expect(isRunning(pid!)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await expect(server.stop()).resolves.toBeUndefined();
    await expect(server.restart()).rejects.toBeInstanceOf(ValkeyHarnessError);
    await expect(server.kill()).rejects.toBeInstanceOf(ValkeyHarnessError);
  });

  it('stop() after kill() still removes the temp dir', async () => {
    const server = await startValkey({ appendonly: true });
    const [, dir] = (await connect(server.url).config('GET', 'dir')) as string[];

    await server.kill();
    expect(existsSync(dir!)).toBe(true);
    await server.stop();
    expect(existsSync(dir!)).toBe(false);
  });

  it('rejects with the server output when the server cannot start', async () => {
    const failure = startValkey({ config: { 'no-such-directive': 'x' } });

    await expect(failure).rejects.toBeInstanceOf(ValkeyStartupError);
    await expect(failure).rejects.toThrow(/Bad directive/i);
  });

  it('rejects a missing explicit binary', async () => {
    await expect(startValkey({ binary: '/nonexistent/valkey-server' })).rejects.toThrow(ValkeyHarnessError);
  });

  describe('with VALKEY_URL', () => {
    const original = process.env.VALKEY_URL;
    afterEach(() => restoreEnv({ VALKEY_URL: original }));

    it('uses the URL unless an option needs a server of its own', async () => {
      const own = await start({ config: { 'maxmemory-policy': 'noeviction' } });
      process.env.VALKEY_URL = `redis://:secret@127.0.0.1:${own.port}`;

      const shared = await startValkey();
      expect(shared).toMatchObject({ source: 'env', host: '127.0.0.1', port: own.port, password: 'secret' });
      expect(shared.url).toBe(`redis://127.0.0.1:${own.port}`);
      await expect(connect(shared.url).ping()).resolves.toBe('PONG');
      await expect(shared.kill()).rejects.toThrow(/needs a server started by the harness/);
      await expect(shared.restart()).rejects.toBeInstanceOf(ValkeyHarnessError);
      await shared.stop();
      await expect(connect(own.url).ping()).resolves.toBe('PONG');

      await expect(start({ appendonly: true })).resolves.toMatchObject({ source: 'binary' });
    });
  });

  it('says how to get Valkey when no source is available', async () => {
    const saved = pick('PATH', 'VALKEY_URL', 'VALKEY_SERVER_BIN', 'DOCKER_HOST');
    try {
      process.env.PATH = '/nonexistent';
      delete process.env.VALKEY_URL;
      delete process.env.VALKEY_SERVER_BIN;
      process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';

      await expect(startValkey()).rejects.toThrow(
        /^No Valkey server available: set VALKEY_URL, or install valkey-server .* or run a Docker engine/,
      );
    } finally {
      restoreEnv(saved);
    }
  });
});
