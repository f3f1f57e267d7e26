import type { TestingModule } from '@nestjs/testing';
import { QueueSender, VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import { keysMatching, rawClient } from '../utils/raw-client.js';
import { ReplySwallowingProxy } from '../utils/reply-swallowing-proxy.js';
import { describeStandalone } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, layout, newQueue, streamRecords } from './sender-fixtures.js';

const WRITES = new Set(['xadd', 'eval', 'evalsha']);

/** Polls `condition` until it holds, or fails after `ms`. */
async function waitFor(condition: () => boolean | Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Settles like `work`, or rejects when it has not settled within `ms`: a hung send fails the test. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * A plain send is a bare XADD (docs/sending.md). ioredis resends a command left unanswered by a
 * dropped connection as it was; the resend of a bare XADD must not append it twice, and no send may
 * hang. A proxy between the module and the server loses replies or requests, then resets the
 * connection; MONITOR shows what the server ran.
 */
describeStandalone('one proxy in front of one server')(
  'plain sends across a dropped connection (real Valkey)',
  () => {
    const valkey = useValkey();
    let redis: Redis;
    let monitor: Redis;
    let proxy: ReplySwallowingProxy;
    let moduleRef: TestingModule;
    let sender: QueueSender;
    let client: ValkeyClient;
    /** Writes the server ran from a client (not inside a script), per queue stream: name only. */
    const ran = new Map<string, string[]>();

    beforeAll(async () => {
      redis = rawClient(valkey().url);
      proxy = await ReplySwallowingProxy.start(valkey().host, valkey().port);
      monitor = await rawClient(valkey().url).monitor();
      monitor.on('monitor', (_time: string, args: string[], source: string) => {
        const name = args[0].toLowerCase();
        if (source === 'lua' || !WRITES.has(name)) return; // not the checks of this suite's own client
        for (const arg of args.slice(1)) {
          const names = ran.get(arg);
          if (names) names.push(name);
        }
      });
      moduleRef = await bootSender(
        proxy.url,
        { circuitBreaker: false, retryBackoff: { initialDelay: 5, maxDelay: 10 } },
        {},
        { connection: { url: proxy.url } },
      );
      sender = moduleRef.get(QueueSender);
      client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
      await sender.send(newQueue(), 'warm-up');
    });
    afterEach(() => {
      proxy.swallowReplies = false;
      proxy.swallowRequests = false;
      proxy.release();
    });
    afterAll(async () => {
      await moduleRef.close();
      await proxy.close();
      monitor.disconnect();
      await redis.quit();
    });

    /** A queue whose stream's commands are recorded in `ran`. */
    const watchedQueue = (): { queue: string; stream: string; commands: string[] } => {
      const queue = newQueue();
      const { stream } = layout(queue);
      const commands: string[] = [];
      ran.set(stream, commands);
      return { queue, stream, commands };
    };
    const markersOf = (queue: string): Promise<string[]> =>
      keysMatching(redis, `${layout(queue).tag.replace(/[{}]/g, '\\$&')}:sent:*`);
    const payloads = async (stream: string): Promise<string[]> =>
      (await streamRecords(redis, stream)).map(({ payload }) => payload);

    it('a reply lost after the XADD ran: the resend after the reconnect looks for the entry, and finds it', async () => {
      const { queue, stream, commands } = watchedQueue();
      proxy.swallowReplies = true;

      const sending = sender.send(queue, 'once');
      await waitFor(async () => (await redis.xlen(stream)) === 1, 'the XADD to run');
      proxy.swallowReplies = false;
      proxy.cut();

      await expect(within(sending, 10_000, 'the send')).resolves.toMatchObject({ deduplicated: false });
      await expect(payloads(stream)).resolves.toEqual(['"once"']);
      // The first attempt was one bare XADD; ioredis' resend ran send-retry.lua in its place.
      await waitFor(() => commands.length >= 2, 'MONITOR to show the resend');
      expect(commands).toEqual(['xadd', 'eval']);
      await expect(markersOf(queue)).resolves.toEqual([]);
    });

    it('an XADD that never reached the server: the resend appends it, once', async () => {
      const { queue, stream, commands } = watchedQueue();
      proxy.swallowRequests = true;

      const sending = sender.send(queue, 'once');
      await waitFor(() => client.status === 'ready', 'the client'); // it is ready: the XADD was written
      await new Promise<void>((resolve) => setImmediate(resolve));
      proxy.swallowRequests = false;
      proxy.cut();

      await expect(within(sending, 10_000, 'the send')).resolves.toMatchObject({ deduplicated: false });
      await expect(payloads(stream)).resolves.toEqual(['"once"']);
      await waitFor(() => commands.length >= 1, 'MONITOR to show the resend');
      expect(commands).toEqual(['eval']);
    });

    it('a send issued while disconnected goes out as the bare XADD once connected, once', async () => {
      const { queue, stream, commands } = watchedQueue();
      proxy.hold = true;
      proxy.cut();
      await waitFor(() => proxy.heldConnections > 0, 'the client to reconnect');
      expect(client.status).not.toBe('ready');

      const sending = sender.send(queue, 'once');
      proxy.release();

      await expect(within(sending, 10_000, 'the send')).resolves.toMatchObject({ deduplicated: false });
      await expect(payloads(stream)).resolves.toEqual(['"once"']);
      await waitFor(() => commands.length >= 1, 'MONITOR to show the XADD');
      expect(commands).toEqual(['xadd']);
    });

    it('many sends in flight at the drop, some ran and some never reached the server: each appended once, none hangs', async () => {
      const { queue, stream } = watchedQueue();
      proxy.swallowReplies = true;
      const ran = Array.from({ length: 100 }, (_, index) => sender.send(queue, `ran-${index}`));
      await waitFor(async () => (await redis.xlen(stream)) === 100, 'the first 100 sends to run');
      proxy.swallowRequests = true;
      const lost = Array.from({ length: 100 }, (_, index) => sender.send(queue, `lost-${index}`));
      await new Promise<void>((resolve) => setImmediate(resolve)); // the gathered call is written
      await waitFor(() => client.status === 'ready', 'the client');
      proxy.swallowReplies = false;
      proxy.swallowRequests = false;
      proxy.cut();
      // Issued while the client reconnects: queued, then written after the resends.
      const offline = Array.from({ length: 20 }, (_, index) => sender.send(queue, `offline-${index}`));

      const results = await within(Promise.all([...ran, ...lost, ...offline]), 15_000, 'the sends');
      expect(results.every((result) => !result.deduplicated)).toBe(true);
      const written = await payloads(stream);
      const expected = [
        ...Array.from({ length: 100 }, (_, index) => `"ran-${index}"`),
        ...Array.from({ length: 100 }, (_, index) => `"lost-${index}"`),
        ...Array.from({ length: 20 }, (_, index) => `"offline-${index}"`),
      ];
      expect([...written].sort()).toEqual([...expected].sort());
      expect(new Set(written).size).toBe(written.length);
    });
  },
);
