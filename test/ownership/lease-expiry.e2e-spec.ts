import type { StartedValkey } from 'nestjs-valkey-queue/testing';
import { onEveryServer, rawClient, serversOf } from '../utils/raw-client.js';
import { onCluster } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  FAST,
  ownKeys,
  startInstance,
  uniqueService,
  waitUntil,
  type Instance,
} from './ownership-test-kit.js';

/** Flags of notify-keyspace-events, as a sorted string (the server reorders them). */
const flags = (value: string): string => [...value].sort().join('');

/** notify-keyspace-events of every server (every primary on the cluster run), as sorted flags. */
const notifyFlags = async (raw: ReturnType<typeof rawClient>): Promise<string[]> =>
  Promise.all(
    (await serversOf(raw)).map(async (server) => {
      const [, value] = (await server.config('GET', 'notify-keyspace-events')) as string[];
      return flags(value);
    }),
  );

/** Connections of ownership watchers subscribed to a keyspace pattern. */
const subscribedWatchers = async (raw: ReturnType<typeof rawClient>): Promise<number> => {
  const clients = String(await raw.call('CLIENT', 'LIST')).split('\n');
  return clients.filter((line) => / name=vq:ownership-events /.test(line) && !/ psub=0 /.test(line)).length;
};

interface LapseOptions {
  sweepInterval: number;
  /** The most the 'expired' event may take after the lapse. */
  withinMs: number;
  db?: number;
  /** Runs before either instance starts. */
  beforeStart?: (raw: ReturnType<typeof rawClient>) => Promise<void>;
  /** Runs once both instances are up, before the lapse. */
  beforeLapse?: (raw: ReturnType<typeof rawClient>) => Promise<void>;
}

/**
 * One stream held by A, watched by B. The lease then lapses behind A's back (PEXPIRE 1, as if A's
 * heartbeats had stopped): B must hear 'expired' (within `withinMs`) and A 'disowned'.
 */
async function lapseAndObserve(
  valkey: StartedValkey,
  { sweepInterval, withinMs, db = 0, beforeStart, beforeLapse }: LapseOptions,
): Promise<number> {
  const service = uniqueService();
  const keys = ownKeys(service);
  const url = `${valkey.url}/${db}`;
  const raw = rawClient(url);
  const instances: Instance[] = [];
  try {
    await beforeStart?.(raw);
    const a = await startInstance(url, { service, ...FAST, sweepInterval });
    instances.push(a);
    await a.service.assign('s1', { n: 1 });
    await a.log.next('added');
    const b = await startInstance(url, { service, ...FAST, sweepInterval });
    instances.push(b);
    // Past B's startup sweep, so only notifications (or a later sweep) can tell B.
    await new Promise((resolve) => setTimeout(resolve, 200));
    await beforeLapse?.(raw);
    // What a lapse looks like: the key expires at the expiry recorded by the last renewal.
    const lapsedAt = Date.now();
    await raw.pexpire(keys.lease('s1'), 1);
    await waitUntil(
      async () => (await raw.exists(keys.lease('s1'))) === 0,
      'the lease key to expire',
      5_000,
      5,
    );
    const [seconds, micros] = await raw.time();
    const serverNow = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    await raw.hset(keys.assignment('s1'), 'expiresAt', serverNow);
    await raw.zadd(keys.assignments, serverNow, 's1');
    const expired = await b.log.next('expired', () => true, withinMs + 5_000);
    const latency = Date.now() - lapsedAt;
    expect(expired).toEqual({ type: 'expired', stream: 's1', info: { n: 1 }, lastToken: 1 });
    await expect(a.log.next('disowned')).resolves.toMatchObject({ stream: 's1', token: 1 });
    expect(latency).toBeLessThan(withinMs);
    await expect(b.service.claim('s1')).resolves.toMatchObject({ token: 2 });
    return latency;
  } finally {
    raw.disconnect();
    await Promise.all(instances.map((instance) => instance.close()));
  }
}

describe('lease expiry detection (real Valkey)', () => {
  describe('keyspace notifications, set up by the service', () => {
    const valkey = useValkey();

    it("adds K and x to an empty notify-keyspace-events and reports 'expired' through them, on the actual DB", async () => {
      const raw = rawClient(valkey().url);
      try {
        // A sweep every minute cannot explain an event within 2 s: notifications must work, on DB 5
        // (a cluster has only DB 0; there every primary must be configured).
        await lapseAndObserve(valkey(), { sweepInterval: 60_000, withinMs: 2_000, db: onCluster ? 0 : 5 });
        await expect(notifyFlags(raw)).resolves.toEqual((await serversOf(raw)).map(() => flags('Kx')));
      } finally {
        raw.disconnect();
      }
    });

    it('falls back to the sweeper when notifications are switched off afterwards', async () => {
      const raw = rawClient(valkey().url);
      try {
        await lapseAndObserve(valkey(), {
          sweepInterval: 1_000,
          withinMs: 1_000 + 1_500,
          beforeLapse: async (client) => {
            await onEveryServer(client, (server) => server.config('SET', 'notify-keyspace-events', ''));
          },
        });
      } finally {
        await onEveryServer(raw, (server) => server.config('SET', 'notify-keyspace-events', ''));
        raw.disconnect();
      }
    });
  });

  describe('existing flags are kept', () => {
    const valkey = useValkey({ config: { 'notify-keyspace-events': 'Elg' } });

    it('adds only x to "Elg" and listens on the keyevent channel', async () => {
      await lapseAndObserve(valkey(), { sweepInterval: 60_000, withinMs: 2_000 });
      const raw = rawClient(valkey().url);
      try {
        await expect(notifyFlags(raw)).resolves.toEqual((await serversOf(raw)).map(() => flags('Elgx')));
      } finally {
        raw.disconnect();
      }
    });
  });

  describe('subscribing fails at start-up', () => {
    const valkey = useValkey();

    // A sweep every minute cannot explain an event within 2 s: the failed subscription must have been
    // retried on its own, soon after the server allowed it.
    (onCluster ? it.skip : it)('retries the subscription before the next sweep', async () => {
      await lapseAndObserve(valkey(), {
        sweepInterval: 60_000,
        withinMs: 2_000,
        // Channels not starting with '_' only: the keyspace PSUBSCRIBE is refused (NOPERM).
        beforeStart: async (raw) =>
          void (await raw.call('ACL', 'SETUSER', 'default', 'resetchannels', '&[^_]*')),
        beforeLapse: async (raw) => {
          await raw.call('ACL', 'SETUSER', 'default', 'allchannels');
          // Both instances' subscribers hold the keyspace pattern again (the old code waited a minute).
          await waitUntil(
            async () => (await subscribedWatchers(raw)) === 2,
            'both watchers to subscribe to lease notifications',
            5_000,
          );
        },
      });
    });
  });

  describe('CONFIG forbidden (rename-command CONFIG "")', () => {
    const valkey = useValkey({ config: { 'rename-command': 'CONFIG ""' } });

    it('starts anyway and finds lapsed leases with the sweeper', async () => {
      const raw = rawClient(valkey().url);
      try {
        await expect(raw.config('GET', 'notify-keyspace-events')).rejects.toThrow(/unknown command/i);
      } finally {
        raw.disconnect();
      }
      await lapseAndObserve(valkey(), { sweepInterval: 1_000, withinMs: 1_000 + 1_500 });
    });
  });
});
