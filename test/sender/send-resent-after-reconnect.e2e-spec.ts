import type { TestingModule } from '@nestjs/testing';
import { QueueSender, type SenderDefaults } from 'nestjs-valkey-queue';
import type { Redis } from 'ioredis';
import { rawClient } from '../utils/raw-client.js';
import { ReplySwallowingProxy } from '../utils/reply-swallowing-proxy.js';
import { describeStandalone } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, layout, newQueue } from './sender-fixtures.js';

// A proxy in front of one server; the cluster run covers sends without it.
describeStandalone('one proxy in front of one server')(
  'a send whose reply was lost, resent unchanged by the client after a reconnect (real Valkey)',
  () => {
    const valkey = useValkey();
    let redis: Redis;
    let proxy: ReplySwallowingProxy;
    let moduleRef: TestingModule | undefined;

    beforeAll(async () => {
      redis = rawClient(valkey().url);
      proxy = await ReplySwallowingProxy.start(valkey().host, valkey().port);
    });
    afterEach(async () => {
      await moduleRef?.close();
      moduleRef = undefined;
    });
    afterAll(async () => {
      await proxy.close();
      await redis.quit();
    });

    /** Sends once while the reply is swallowed, cuts the connection once the script ran, returns the entries. */
    async function sendThroughCut(sender: SenderDefaults): Promise<number> {
      moduleRef = await bootSender(
        proxy.url,
        { circuitBreaker: false, ...sender },
        {},
        { connection: { url: proxy.url } },
      );
      const queueSender = moduleRef.get(QueueSender);
      const queue = newQueue();
      await queueSender.send(newQueue(), 'warm-up'); // the script is loaded: the send below is one EVALSHA
      proxy.swallowReplies = true;

      const sending = queueSender.send(queue, 'once');
      // The script ran at the server; its reply is lost with the connection.
      const deadline = Date.now() + 5_000;
      while ((await redis.xlen(layout(queue).stream)) === 0) {
        if (Date.now() > deadline) throw new Error('the send never reached the server');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      proxy.swallowReplies = false;
      proxy.cut();

      const result = await sending;
      expect(result.deduplicated).toBe(false);
      return redis.xlen(layout(queue).stream);
    }

    it('is appended once: ioredis resends the unanswered call, which writes only if the first did not land', async () => {
      await expect(sendThroughCut({})).resolves.toBe(1);
    });

    it('is appended once by a sender that never retries (maxRetries: 0): the resend is not its own', async () => {
      await expect(sendThroughCut({ maxRetries: 0 })).resolves.toBe(1);
    });
  },
);
