// `npm run torture`: producers and workers in separate Node processes against a Sentinel-managed
// Valkey (primary + replica, AOF on), every data connection through a TCP fault proxy, while a
// seeded fault scheduler kills, stops, restarts, fails over and cuts the network. At the end it
// drains, reads the ledgers and the dead letters, prints one table and exits non-zero on a loss,
// an unexplained duplicate where once was promised, a double tick, a double holder or a message of an
// ordering key run out of order or beside another of its key.
//
// `--tls`: one TLS-only Valkey (AOF on) that requires client certificates (`tls-auth-clients yes`),
// with a CA and certificates made for the run; every process connects with the client certificate.
// The test harness serves TLS on a single server only, so this topology has no replica, no Sentinel
// and no failover faults (everything else is the same); sends are acknowledged without `durability`.
//
//   npm run torture -- [--duration 3m] [--seed N] [--producers 2] [--workers 3] [--rate 25] [--tls] [--keep]
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseDuration } from 'nestjs-valkey-queue';
import {
  startValkey,
  type StartedValkey,
  type StartedValkeySentinel,
  type ValkeyTlsMaterial,
} from 'nestjs-valkey-queue/testing';
import { check, formatVerdict, type ServerFindings } from './checker.js';
import type { ChildConfig } from './child-config.js';
import { FaultProxy } from './fault-proxy.js';
import { Ledger, readLedgers } from './ledger.js';
import { Rng } from './rng.js';
import { OWNED_STREAMS, OWNERSHIP_SERVICE, queueOf, WORKLOADS } from './workloads.js';

interface Flags {
  duration: number;
  seed: number;
  producers: number;
  workers: number;
  rate: number;
  tls: boolean;
  keep: boolean;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = {
    duration: 180_000,
    seed: Date.now() % 2 ** 31,
    producers: 2,
    workers: 3,
    rate: 25,
    tls: false,
    keep: false,
  };
  for (let index = 0; index < argv.length; index++) {
    const flag = argv[index];
    const value = (): string => argv[++index] ?? '';
    if (flag === '--duration') flags.duration = parseDuration('--duration', value());
    else if (flag === '--seed') flags.seed = Number(value());
    else if (flag === '--producers') flags.producers = Number(value());
    else if (flag === '--workers') flags.workers = Number(value());
    else if (flag === '--rate') flags.rate = Number(value());
    else if (flag === '--tls') flags.tls = true;
    else if (flag === '--keep') flags.keep = true;
    else throw new Error(`unknown flag ${flag}`);
  }
  if (!Number.isSafeInteger(flags.seed)) throw new Error('--seed must be an integer');
  return flags;
}

const here = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text: string): void =>
  void process.stderr.write(`[torture ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

/** A producer or worker process; respawned under a new name after a SIGKILL. */
class Child {
  readonly process: ChildProcess;
  stopped = false;
  exited: Promise<number | null>;
  stderr = '';

  constructor(
    readonly role: 'producer' | 'worker',
    readonly config: ChildConfig,
  ) {
    this.process = fork(join(here, `${role}.js`), [JSON.stringify(config)], {
      execArgv: [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.process.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4_000);
    });
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)));
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  ready(timeoutMs = 60_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.config.name} not ready: ${this.stderr}`)),
        timeoutMs,
      );
      this.process.on('message', (message: { type: string; message?: string }) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`${this.config.name} failed: ${message.message}\n${this.stderr}`));
        }
      });
    });
  }
}

/**
 * What the run runs against: a Sentinel-managed primary and replica, or (`--tls`) one TLS-only server
 * that requires client certificates.
 */
interface Topology {
  servers: readonly StartedValkey[];
  currentPrimary(): Promise<StartedValkey>;
  /** The Sentinel setup, when there is one (failover faults need it). */
  sentinel?: StartedValkeySentinel;
  tls?: ValkeyTlsMaterial;
  stop(): Promise<void>;
}

async function startTopology(flags: Flags): Promise<Topology> {
  if (flags.tls) {
    const server = await startValkey({
      tls: true,
      appendonly: true,
      config: { appendfsync: 'always', 'tls-auth-clients': 'yes' },
    });
    return {
      servers: [server],
      currentPrimary: () => Promise.resolve(server),
      tls: server.tls,
      stop: () => server.stop(),
    };
  }
  const ha = await startValkey({
    appendonly: true,
    config: { appendfsync: 'always' },
    // A restart of the primary is quicker than `downAfter`: only the failover faults change primaries.
    sentinel: { replicas: 1, sentinels: 3, downAfter: 4_000, failoverTimeout: 10_000 },
  });
  return {
    servers: ha.servers,
    currentPrimary: () => ha.currentPrimary(),
    sentinel: ha,
    stop: () => ha.stop(),
  };
}

class Torture {
  readonly rng: Rng;
  readonly ledgerDir = mkdtempSync(join(tmpdir(), 'vq-torture-'));
  readonly ledger: Ledger;
  readonly proxies = new Map<StartedValkey, FaultProxy>();
  readonly children: Child[] = [];
  #spawned = 0;

  constructor(
    readonly flags: Flags,
    readonly topology: Topology,
    readonly startAt: number,
  ) {
    this.rng = new Rng(flags.seed);
    this.ledger = new Ledger(this.ledgerDir, 'harness');
  }

  async startProxies(): Promise<void> {
    for (const server of this.topology.servers)
      this.proxies.set(server, await FaultProxy.start(server.host, server.port));
  }

  configFor(role: 'producer' | 'worker', extra: Partial<ChildConfig> = {}): ChildConfig {
    const natMap: ChildConfig['natMap'] = {};
    for (const [server, proxy] of this.proxies)
      natMap[`${server.host}:${server.port}`] = { host: '127.0.0.1', port: proxy.port };
    const { sentinel, tls } = this.topology;
    return {
      name: `${role}-${this.#spawned++}`,
      ledgerDir: this.ledgerDir,
      seed: this.rng.fork(),
      ...(sentinel
        ? { sentinels: sentinel.connection.sentinels, masterName: sentinel.name, replicas: 1 }
        : {
            direct: natMap[`${this.topology.servers[0].host}:${this.topology.servers[0].port}`],
            replicas: 0,
          }),
      tls: tls && { caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile },
      natMap,
      rate: this.flags.rate,
      startAt: this.startAt,
      ...extra,
    };
  }

  async spawn(role: 'producer' | 'worker', extra: Partial<ChildConfig> = {}): Promise<Child> {
    const child = new Child(role, this.configFor(role, extra));
    this.children.push(child);
    await child.ready();
    return child;
  }

  living(role: 'producer' | 'worker'): Child[] {
    return this.children.filter((child) => child.role === role && child.alive);
  }

  /** Runs one fault to its end and records it. */
  async injectOne(): Promise<void> {
    const kinds = [
      ...(this.topology.sentinel ? ['failover', 'failover-unplanned'] : []),
      'kill-worker',
      'kill-worker',
      'stop-worker',
      'kill-producer',
      'stop-producer',
      'restart-always',
      'restart-everysec',
      'proxy-latency',
      'proxy-stall',
      'proxy-drop',
      'proxy-reset',
    ];
    const kind = this.rng.pick(kinds);
    const t = Date.now();
    let target = 'all';
    let pid: number | undefined;
    if (kind.endsWith('-worker') || kind.endsWith('-producer')) {
      const role = kind.endsWith('-worker') ? 'worker' : 'producer';
      const victim = this.rng.pick(this.living(role));
      target = victim.config.name;
      pid = victim.process.pid;
      if (kind.startsWith('kill')) {
        victim.process.kill('SIGKILL');
        await victim.exited;
        await sleep(this.rng.int(200, 2_000));
        await this.spawn(role);
      } else {
        victim.stopped = true;
        victim.process.kill('SIGSTOP');
        await sleep(this.rng.int(1_000, 8_000));
        victim.process.kill('SIGCONT');
        victim.stopped = false;
      }
    } else if (kind.startsWith('restart')) {
      const primary = await this.topology.currentPrimary();
      target = `primary :${primary.port}`;
      await this.withClient(primary, (client) =>
        client.config('SET', 'appendfsync', kind === 'restart-always' ? 'always' : 'everysec'),
      );
      await sleep(this.rng.int(500, 2_000));
      await primary.kill();
      await primary.restart();
    } else if (kind === 'failover') {
      target = await this.failover();
    } else if (kind === 'failover-unplanned') {
      const ha = this.topology.sentinel!;
      const old = await ha.killPrimary();
      const promoted = await ha.waitForFailover(old);
      await sleep(this.rng.int(0, 3_000));
      // Back as a primary from its AOF; the Sentinels turn it into a replica of the new one.
      await old.restart();
      target = `:${old.port} killed -> :${promoted.port}`;
    } else {
      const proxies = [...this.proxies.values()];
      const hold = this.rng.int(1_000, 6_000);
      if (kind === 'proxy-latency') {
        const ms = this.rng.int(20, 400);
        target = `all +${ms} ms`;
        for (const proxy of proxies) proxy.setMode({ kind: 'latency', ms });
        await sleep(hold);
      } else if (kind === 'proxy-stall') {
        target = `all ${hold} ms`;
        for (const proxy of proxies) proxy.setMode({ kind: 'stall' });
        await sleep(hold);
      } else if (kind === 'proxy-drop') {
        for (const proxy of proxies) proxy.dropAll();
      } else {
        for (const proxy of proxies) proxy.resetAll();
      }
      for (const proxy of proxies) proxy.setMode({ kind: 'pass' });
    }
    this.ledger.record({ type: 'fault', kind, target, pid, from: t, until: Date.now() });
    log(`fault ${kind} on ${target} (${Date.now() - t} ms)`);
  }

  /**
   * A planned failover (`SENTINEL FAILOVER`): the replica is promoted at once, without waiting for
   * writes in flight. Acknowledged sends survive it because producers send with
   * `durability: { replicas: 1 }`; everything else the library writes is either redone (acks,
   * moves: at-least-once) or checked by the run (ticks, leases).
   */
  async failover(): Promise<string> {
    const ha = this.topology.sentinel!;
    const old = await ha.currentPrimary();
    const sentinel = ha.sentinels[0];
    const sentinelClient = new Redis({ host: sentinel.host, port: sentinel.port, lazyConnect: true });
    try {
      await sentinelClient.connect();
      await sentinelClient.call('SENTINEL', 'FAILOVER', ha.name);
    } finally {
      sentinelClient.disconnect();
    }
    const promoted = await ha.waitForFailover(old);
    return `:${old.port} -> :${promoted.port}`;
  }

  /** Every acknowledged message is handled or in dead letters, or the deadline passed. */
  async drain(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const findings = await this.readServer();
      const verdict = check(readLedgers(this.ledgerDir), findings);
      const open = verdict.rows.reduce((sum, row) => sum + row.lost, 0);
      if (open === 0) return;
      log(`draining: ${open} acknowledged messages not finished yet`);
      await sleep(3_000);
    }
  }

  /** Dead letters (by ledger key) and the fenced logs, read from the current primary directly. */
  async readServer(): Promise<ServerFindings> {
    const primary = await this.topology.currentPrimary();
    return this.withClient(primary, async (client) => {
      const deadLetters = new Map<string, string[]>();
      for (const kind of WORKLOADS) {
        let cursor = '-';
        for (;;) {
          const page = await client.xrange(`{vq:${queueOf(kind)}}:dead`, cursor, '+', 'COUNT', 1_000);
          for (const [, fields] of page) {
            const reason = fields[fields.indexOf('reason') + 1] ?? 'broken';
            for (const key of new Set(fields.join(' ').match(/producer-\d+-\d+/g) ?? [])) {
              deadLetters.set(key, [...(deadLetters.get(key) ?? []), reason]);
            }
          }
          if (page.length < 1_000) break;
          cursor = `(${page.at(-1)![0]}`;
        }
      }
      const fencedLogs = new Map<string, string[]>();
      for (const stream of OWNED_STREAMS) {
        const logKey = `{vq:own:${OWNERSHIP_SERVICE}}:torture-log:${stream}`;
        fencedLogs.set(stream, await client.lrange(logKey, 0, -1));
      }
      return { deadLetters, fencedLogs };
    });
  }

  /** A direct connection to `server` (not through its proxy), with the client certificate under `--tls`. */
  withClient<T>(server: StartedValkey, use: (client: Redis) => Promise<T>): Promise<T> {
    const { tls } = this.topology;
    return withClient(server, use, tls && { ca: tls.ca, cert: tls.cert, key: tls.key });
  }
}

async function withClient<T>(
  server: StartedValkey,
  use: (client: Redis) => Promise<T>,
  tls?: { ca: string; cert?: string; key?: string },
): Promise<T> {
  const client = new Redis({
    host: server.host,
    port: server.port,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    tls,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await use(client);
  } finally {
    client.disconnect();
  }
}

/** `--tls` proves its point: a client with the CA but no certificate of its own is turned away. */
async function refusesClientsWithoutCertificate(
  server: StartedValkey,
  tls: ValkeyTlsMaterial,
): Promise<void> {
  const refused = await withClient(server, (client) => client.ping(), { ca: tls.ca }).then(
    () => false,
    () => true,
  );
  if (!refused) throw new Error('--tls: the server accepted a client without a certificate');
  log('tls: client certificates required (a client without one was refused)');
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  log(
    `seed ${flags.seed}, duration ${flags.duration / 1000} s (reproduce: npm run torture -- --seed ${flags.seed})`,
  );
  const topology = await startTopology(flags);
  const torture = new Torture(flags, topology, Date.now());
  let exitCode = 1;
  try {
    if (topology.tls) await refusesClientsWithoutCertificate(topology.servers[0], topology.tls);
    await torture.startProxies();
    await torture.spawn('worker', { assignStreams: true });
    for (let index = 1; index < flags.workers; index++) await torture.spawn('worker');
    for (let index = 0; index < flags.producers; index++) await torture.spawn('producer');
    log(`ledgers in ${torture.ledgerDir}`);

    const end = Date.now() + flags.duration;
    while (Date.now() < end) {
      await sleep(torture.rng.int(500, 3_000));
      await torture.injectOne().catch((error: unknown) => log(`fault failed: ${String(error)}`));
    }
    for (const child of torture.children) if (child.alive) child.process.kill('SIGCONT');
    for (const proxy of torture.proxies.values()) proxy.setMode({ kind: 'pass' });

    log('stopping the producers');
    for (const producer of torture.living('producer')) producer.process.send({ type: 'stop' });
    await Promise.race([Promise.all(torture.living('producer').map((child) => child.exited)), sleep(30_000)]);
    log('draining');
    await torture.drain(120_000);
    const findings = await torture.readServer();
    log('stopping the workers');
    for (const worker of torture.living('worker')) worker.process.send({ type: 'stop' });
    await Promise.race([Promise.all(torture.living('worker').map((child) => child.exited)), sleep(30_000)]);

    const verdict = check(readLedgers(torture.ledgerDir), findings);
    process.stdout.write(
      `\nnpm run torture -- --duration ${flags.duration / 1000}s --seed ${flags.seed}${flags.tls ? ' --tls' : ''}\n\n${formatVerdict(verdict)}\n`,
    );
    if (verdict.failures.length > 0) {
      process.stdout.write(`\nFAILED:\n${verdict.failures.map((failure) => `- ${failure}`).join('\n')}\n`);
      process.stdout.write(`ledgers kept in ${torture.ledgerDir}\n`);
    } else {
      process.stdout.write(
        '\nOK: nothing lost, no unexplained duplicate, no double tick, no double holder, ordering kept\n',
      );
      exitCode = 0;
    }
  } finally {
    for (const child of torture.children) if (child.alive) child.process.kill('SIGKILL');
    for (const proxy of torture.proxies.values()) await proxy.close();
    torture.ledger.close();
    await topology.stop();
    if (exitCode === 0 && !flags.keep) rmSync(torture.ledgerDir, { recursive: true, force: true });
  }
  process.exit(exitCode);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
