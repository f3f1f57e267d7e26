import type { ValkeyClient } from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { onCluster } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import { ChildInstance, ensureBuiltLibrary, type ChildMessage } from './child-instance.js';
import { FAST, ownKeys, uniqueService, waitUntil } from './ownership-test-kit.js';

// The cluster run checks the same property for 20 s, so the whole run stays within a few minutes.
const RUN_MS = onCluster ? 20_000 : 60_000;
const STREAMS = Array.from({ length: 12 }, (_, index) => `stream-${index}`);
const CHILDREN = 4;

/** One lease as its holder saw it: from the take/claim until it ended (or the holder died). */
interface LeaseRecord {
  stream: string;
  owner: string;
  token: number;
  start: number;
  end?: number;
}

const random = (max: number): number => Math.floor(Math.random() * max);
const pick = <T>(items: T[]): T => items[random(items.length)];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The safety property under chaos: SIGKILLs, event-loop stalls (shorter and longer than the TTL),
 * graceful restarts and random claims for 60 s, with every holder writing to its stream's log
 * through the fencing check as long as it believes it holds the lease. Valkey runs scripts one at
 * a time, so the log's order IS the order in which fencing checks passed: if two holders ever
 * both passed for one stream, a lower token would follow a higher one in that log.
 */
describe('stream ownership safety under kills, stalls and claims (real Valkey, 60 s)', () => {
  const valkey = useValkey();
  const children = new Set<ChildInstance>();
  const leases = new Map<string, LeaseRecord>();
  const duplicateStarts: string[] = [];
  let writesOk = 0;
  let writesRefused = 0;
  let raw: ValkeyClient;
  let service: string;

  beforeAll(() => {
    ensureBuiltLibrary();
    raw = rawClient(valkey().url);
    service = uniqueService('safety');
  }, 300_000);
  afterAll(async () => {
    await Promise.all([...children].map((child) => child.kill()));
    raw.disconnect();
  });

  const record = (message: ChildMessage): void => {
    const key = `${String(message.stream)}|${Number(message.token)}`;
    if (message.kind === 'write') {
      if (message.ok) writesOk += 1;
      else writesRefused += 1;
    } else if (message.kind === 'lease-start') {
      if (leases.has(key)) duplicateStarts.push(key);
      const { stream, owner, token, at } = message as unknown as LeaseRecord & { at: number };
      leases.set(key, { stream, owner, token, start: at });
    } else if (message.kind === 'lease-end') {
      const lease = leases.get(key);
      if (lease && lease.end === undefined) lease.end = Number(message.at);
    }
  };
  const spawn = async (): Promise<ChildInstance> => {
    const child = await ChildInstance.start({
      url: valkey().url,
      ownership: { service, ...FAST, recoveryIdle: 2_000 },
      claimOnExpired: true,
      writeEvery: 40,
    });
    children.add(child);
    child.onMessage(record);
    return child;
  };
  const endLeasesOf = (child: ChildInstance, at: number): void => {
    for (const lease of leases.values())
      if (lease.owner === child.consumer && lease.end === undefined) lease.end = at;
  };

  it(
    'never lets two holders pass the fencing check for the same stream at the same time',
    async () => {
      const keys = ownKeys(service);
      await Promise.all(Array.from({ length: CHILDREN }, () => spawn()));
      for (const stream of STREAMS) await raw.xadd(keys.lbs, '*', 'stream', stream, 'info', '{}');

      const counts = { kill: 0, stall: 0, longStall: 0, claim: 0, restart: 0 };
      const spawning: Promise<unknown>[] = [];
      const startedAt = Date.now();
      const deadline = startedAt + RUN_MS;
      // The first rounds play every fault once (kill, long stall, claim, restart), so a slow
      // machine that fits few rounds into the run still covers each kind; then the dice decide.
      const prelude = [0, 3, 6, 9];
      for (let round = 0; Date.now() < deadline; round += 1) {
        await sleep(600 + random(900));
        const alive = [...children].filter((child) => child.alive);
        const roll = round < prelude.length ? prelude[round] : random(10);
        if (roll < 3 && alive.length >= 3) {
          const victim = pick(alive);
          counts.kill += 1;
          await victim.kill();
          endLeasesOf(victim, Date.now());
          children.delete(victim);
          spawning.push(spawn());
        } else if (roll < 6) {
          // Some shorter, some longer than the 3 s TTL; the prelude's stall is a long one.
          const ms = round < prelude.length ? FAST.leaseTtl! + 500 + random(1_000) : 500 + random(4_500);
          counts.stall += 1;
          if (ms > FAST.leaseTtl!) counts.longStall += 1;
          pick(alive).send({ cmd: 'stall', ms });
        } else if (roll < 9) {
          counts.claim += 1;
          pick(alive).send({ cmd: 'claim', stream: pick(STREAMS) });
        } else if (alive.length >= 3) {
          const leaving = pick(alive);
          counts.restart += 1;
          children.delete(leaving);
          spawning.push(leaving.close().then(() => spawn()));
        }
      }
      await Promise.all(spawning);
      const chaosEnded = Date.now();

      // Liveness: once the chaos stops, every stream is owned again (expired + claim, or recovery).
      const live = [...children].filter((child) => child.alive);
      await waitUntil(
        async () => {
          const owned = await Promise.all(
            live.map(async (child) => (await child.request({ cmd: 'owned' })).owned),
          );
          return new Set((owned as string[][]).flat()).size === STREAMS.length;
        },
        'every stream to be owned again',
        30_000,
        250,
      );
      const settledIn = Date.now() - chaosEnded;
      await Promise.all(live.map((child) => child.close()));

      // Safety: in every stream's log, fencing tokens never go down, and each writer held that lease.
      let writes = 0;
      let handovers = 0;
      for (const stream of STREAMS) {
        const log = await raw.lrange(`${keys.tag}:log:${stream}`, 0, -1);
        writes += log.length;
        let previous = 0;
        for (const entry of log) {
          const [owner, token] = [
            entry.slice(0, entry.lastIndexOf('|')),
            Number(entry.slice(entry.lastIndexOf('|') + 1)),
          ];
          expect(token).toBeGreaterThanOrEqual(previous);
          if (token > previous) handovers += 1;
          previous = token;
          expect(leases.get(`${stream}|${token}`)?.owner).toBe(owner);
        }
        const recorded = [...leases.values()].filter((lease) => lease.stream === stream);
        const tokens = recorded.map((lease) => lease.token);
        expect(new Set(tokens).size).toBe(tokens.length);
        expect(Number(await raw.get(keys.fence(stream)))).toBeGreaterThanOrEqual(Math.max(...tokens));
      }
      expect(duplicateStarts).toEqual([]);

      // Overlaps are real (stalled holders believed they still owned a stream); fencing refused them.
      const overlapping = [...leases.values()].filter((a) =>
        [...leases.values()].some(
          (b) =>
            a !== b &&
            a.stream === b.stream &&
            a.start < (b.end ?? Infinity) &&
            b.start < (a.end ?? Infinity),
        ),
      ).length;
      console.log(
        `safety run: ${JSON.stringify(counts)}, ${leases.size} leases, ${handovers} handovers, ${writes} fenced writes, ` +
          `${overlapping} leases overlapping another in their holders' view, ${writesOk} writes reported ok, ` +
          `${writesRefused} stale writes refused; all streams owned again ${settledIn} ms after the chaos`,
      );
      expect(writesOk).toBeGreaterThan(0);
      expect(counts.kill).toBeGreaterThan(0);
      expect(counts.longStall).toBeGreaterThan(0);
      expect(handovers).toBeGreaterThan(STREAMS.length);
    },
    RUN_MS + 120_000,
  );
});
