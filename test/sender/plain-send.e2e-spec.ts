import { jest } from '@jest/globals';
import { QueueSender, SendFailedError, VALKEY_QUEUE_CLIENT, type ValkeyClient } from 'nestjs-valkey-queue';
import type { Command, Redis } from 'ioredis';
import { keysMatching, rawClient } from '../utils/raw-client.js';
import { describeStandalone } from '../utils/topology.js';
import { useValkey } from '../utils/use-valkey.js';
import { bootSender, layout, newQueue, streamRecords } from './sender-fixtures.js';
import type { TestingModule } from '@nestjs/testing';

/** What happens to the first attempt's XADD before its reply is lost. */
type Fate = 'never-written' | ((stream: string, fields: string[]) => Promise<void>);

/**
 * A plain single send is one bare XADD; a retry after a lost reply must still write it once
 * (docs/guarantees.md, "Single sends"). The reply is lost the way a dropped connection loses it: the
 * command fails with ioredis' "Connection is closed." after the write landed (or did not).
 */
describeStandalone('it replaces the command client sendCommand of a standalone client')(
  'plain single sends and their retries (real Valkey)',
  () => {
    const valkey = useValkey();
    let moduleRef: TestingModule;
    let sender: QueueSender;
    let client: ValkeyClient;
    let redis: Redis;

    beforeAll(async () => {
      redis = rawClient(valkey().url);
      moduleRef = await bootSender(valkey().url, { retryBackoff: { initialDelay: 5, maxDelay: 10 } });
      sender = moduleRef.get(QueueSender);
      client = moduleRef.get<ValkeyClient>(VALKEY_QUEUE_CLIENT);
    });
    afterAll(async () => {
      await moduleRef.close();
      await redis.quit();
    });

    /** The commands `send` issues; the first XADD meets `fate` and its reply is lost. */
    const sendLosingFirstReply = async (queue: string, payload: unknown, fate: Fate) => {
      const original = client.sendCommand.bind(client) as (command: Command) => unknown;
      const issued: string[] = [];
      let lost = false;
      const spy = jest.spyOn(client as Redis, 'sendCommand').mockImplementation((command: Command) => {
        if (ofQueue(command, queue)) issued.push(command.name);
        if (command.name !== 'xadd' || lost) return original(command);
        lost = true;
        const [stream, , ...fields] = command.args as string[];
        void (async () => {
          if (fate !== 'never-written') {
            await redis.xadd(stream, '*', ...fields);
            await fate(stream, fields);
          }
          command.reject(new Error('Connection is closed.'));
        })();
        return command.promise;
      });
      try {
        return { result: await sender.send(queue, payload), issued };
      } catch (error) {
        return { error, issued };
      } finally {
        spy.mockRestore();
      }
    };
    const landed = async (): Promise<void> => undefined;
    /** The module's other services send commands of their own meanwhile. */
    const ofQueue = (command: Command, queue: string): boolean =>
      command.args.some((arg) => String(arg).includes(queue));

    it('writes a plain send as one XADD, without an idempotency marker', async () => {
      const queue = newQueue();
      const issued: string[] = [];
      const spy = jest.spyOn(client as Redis, 'sendCommand');
      try {
        await sender.send(queue, { n: 1 });
        for (const [command] of spy.mock.calls) if (ofQueue(command, queue)) issued.push(command.name);
      } finally {
        spy.mockRestore();
      }

      expect(issued).toEqual(['xadd']);
      await expect(redis.xlen(layout(queue).stream)).resolves.toBe(1);
      await expect(
        keysMatching(redis, `${layout(queue).tag.replace(/[{}]/g, '\\$&')}:sent:*`),
      ).resolves.toEqual([]);
    });

    it('a reply lost after the XADD landed: the retry finds the entry and writes nothing', async () => {
      const queue = newQueue();

      const { result, issued } = await sendLosingFirstReply(queue, { n: 1 }, landed);

      expect(issued).toEqual(['xadd', 'evalsha']);
      const records = await streamRecords(redis, layout(queue).stream);
      expect(records.map(({ id }) => id)).toEqual([result!.id]);
    });

    it('a first attempt that never landed: the retry writes it, once', async () => {
      const queue = newQueue();
      await sender.send(queue, { n: 0 });

      const { result, issued } = await sendLosingFirstReply(queue, { n: 1 }, 'never-written');

      expect(issued).toEqual(['xadd', 'evalsha']);
      const records = await streamRecords(redis, layout(queue).stream);
      expect(records.map(({ payload }) => payload)).toEqual(['{"n":0}', '{"n":1}']);
      expect(records[1].id).toBe(result!.id);
    });

    it('landed, then consumed and acknowledged before the retry: still one entry', async () => {
      const queue = newQueue();
      const { stream, stats } = layout(queue);
      await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');

      const { result, issued } = await sendLosingFirstReply(queue, { n: 1 }, async () => {
        const [[, [[entryId]]]] = (await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')) as [
          string,
          [string, string[]][],
        ][];
        await client.vqAck(2, stream, stats, 'g', '0', 0, '', '0', entryId);
      });

      expect(issued[0]).toBe('xadd'); // then the ack and the retry, both scripts
      const records = await streamRecords(redis, stream);
      expect(records.map(({ id }) => id)).toEqual([result!.id]);
      await expect(redis.xpending(stream, 'g')).resolves.toEqual([0, null, null, null]);
    });

    it('landed, then consumed and deleted on ack before the retry: nothing written again, the send fails as ambiguous', async () => {
      const queue = newQueue();
      const { stream, stats } = layout(queue);
      await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');
      const delivered: string[] = [];

      const { error } = await sendLosingFirstReply(queue, { n: 1 }, async () => {
        const [[, [[entryId, fields]]]] = (await redis.xreadgroup(
          'GROUP',
          'g',
          'c',
          'STREAMS',
          stream,
          '>',
        )) as [string, [string, string[]][]][];
        delivered.push(fields[3]);
        await client.vqAck(2, stream, stats, 'g', '1', 0, '', '0', entryId); // deleteOnAck
      });

      expect(error).toBeInstanceOf(SendFailedError);
      expect(error).toMatchObject({ ambiguous: true, queue });
      expect(delivered).toHaveLength(1);
      await expect(redis.xlen(stream)).resolves.toBe(0);
      await expect(redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')).resolves.toBeNull();
    });

    it('landed, consumed by an idempotent worker and deleted on ack: its done marker proves it, the send succeeds', async () => {
      const queue = newQueue();
      const { stream, stats } = layout(queue);
      await redis.xgroup('CREATE', stream, 'g', '$', 'MKSTREAM');

      const { result } = await sendLosingFirstReply(queue, { n: 1 }, async (_, fields) => {
        const [[, [[entryId]]]] = (await redis.xreadgroup('GROUP', 'g', 'c', 'STREAMS', stream, '>')) as [
          string,
          [string, string[]][],
        ][];
        await client.vqAck(
          3,
          stream,
          stats,
          layout(queue).done(fields[3]),
          'g',
          '1',
          60_000,
          '',
          '0',
          entryId,
        );
      });

      expect(result).toMatchObject({ queue, deduplicated: false });
      await expect(redis.xlen(stream)).resolves.toBe(0);
    });
  },
);
