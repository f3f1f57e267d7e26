import type { Redis } from 'ioredis';
import { QueueSender } from 'nestjs-valkey-queue';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import {
  commandCalls,
  EventReader,
  PLATFORMS,
  startDashboardApp,
  type DashboardApp,
} from './dashboard-app.js';

/** What our own measuring costs (INFO) and the queue-name SCAN (cached for seconds) are left out. */
const NOT_COUNTED = new Set(['info', 'scan']);
const REFRESH_MS = 250;
const REFRESHES = 4;

describe('dashboard live events: one shared refresh however many browsers (real Valkey)', () => {
  const valkey = useValkey();
  let dash: DashboardApp;
  let client: Redis;

  beforeAll(async () => {
    dash = await startDashboardApp('express', valkey().connection, { refreshInterval: REFRESH_MS });
    client = rawClient(valkey().url);
    const sender = dash.app.get(QueueSender);
    for (const queue of ['live-a', 'live-b', 'live-c']) await sender.send(queue, { n: 1 });
    await settled();
  });
  afterAll(async () => {
    await dash?.close();
    client?.disconnect();
  });

  const counted = async (): Promise<number> => {
    let total = 0;
    for (const [name, calls] of await commandCalls(client)) if (!NOT_COUNTED.has(name)) total += calls;
    return total;
  };

  /** Waits until the app's start-up commands (scheduler's first pass, subscriptions) are over. */
  async function settled(): Promise<void> {
    const deadline = Date.now() + 10_000;
    let last = await counted();
    for (let quiet = 0; quiet < 5 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const now = await counted();
      quiet = now === last ? quiet + 1 : 0;
      last = now;
    }
  }

  /** Commands per refresh while `readers` are open, measured over REFRESHES refreshes of the first. */
  async function commandsPerRefresh(readers: EventReader[]): Promise<number> {
    await Promise.all(readers.map((reader) => reader.next()));
    await readers[0].next();
    const before = await counted();
    for (let index = 0; index < REFRESHES; index++) await readers[0].next();
    const perRefresh = ((await counted()) - before) / REFRESHES;
    readers.forEach((reader) => reader.close());
    return perRefresh;
  }

  /** Commands run during a few refresh intervals with no browser open. */
  async function commandsWhileClosed(): Promise<number> {
    const before = await counted();
    await new Promise((resolve) => setTimeout(resolve, REFRESH_MS * REFRESHES)); // a window of silence is the point
    return (await counted()) - before;
  }

  it('runs no command while no browser is open, and as few with 10 browsers as with 1', async () => {
    expect(await commandsWhileClosed()).toBe(0);
    const url = `${dash.api}/events`;
    const one = await commandsPerRefresh([new EventReader(url)]);
    expect(await commandsWhileClosed()).toBe(0);
    const ten = await commandsPerRefresh(Array.from({ length: 10 }, () => new EventReader(url)));
    expect(await commandsWhileClosed()).toBe(0);
    expect(one).toBeGreaterThan(0);
    expect(ten).toBeLessThanOrEqual(one);
    console.log(`dashboard refresh: ${one} commands with 1 browser, ${ten} with 10 (3 queues)`);
  });

  it('sends every open browser the same snapshots, with the queues and their figures', async () => {
    const readers = [new EventReader(`${dash.api}/events`), new EventReader(`${dash.api}/events`)];
    const [first, second] = (await Promise.all(readers.map((reader) => reader.next()))) as {
      at: number;
      queues: { name: string; waiting: number }[];
    }[];
    readers.forEach((reader) => reader.close());
    expect(second.at).toBe(first.at);
    expect(first.queues).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'live-a', waiting: 1 })]),
    );
  });
});

describe.each(PLATFORMS)('dashboard live events on %s at app shutdown (real Valkey)', (platform) => {
  const valkey = useValkey();

  it('ends the open event streams, so a browser left on the dashboard does not hold the shutdown', async () => {
    const dash = await startDashboardApp(platform, valkey().connection, { refreshInterval: 200 });
    const reader = new EventReader(`${dash.api}/events`);
    try {
      await reader.next();
      // Without the end, the server waits for the stream's connection: seconds, or for ever with a browser.
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error('shutdown hung')), 3_000)),
      );
      await expect(
        Promise.race([dash.close(), hung]).finally(() => clearTimeout(timer)),
      ).resolves.toBeUndefined();
    } finally {
      reader.close();
    }
  });
});
