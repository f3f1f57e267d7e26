import { QueueSender, type SenderTransport } from 'nestjs-valkey-queue';
import {
  bootSender,
  layout,
  newQueue,
  pollUntil,
  RAW_JSON_CODEC,
  streamRecords,
  TRICKY_JSON,
  useSender,
} from './sender-fixtures.js';

/**
 * Contract item 2: the payload text is stored and moved verbatim. JSON text with [], {}, the 16-digit
 * integer 9007199254740993 (2^53 + 1, which no JS number holds) and "a/b" goes through a codec that
 * passes text through, and must come out byte for byte, whatever path the message takes.
 */
describe.each<SenderTransport>(['stream', 'list'])(
  'payload byte identity on %s (real Valkey)',
  (transport) => {
    const suite = useSender({ transport, codec: RAW_JSON_CODEC });

    /** The stored payloads of `queue`, oldest first, read with plain commands. */
    const storedPayloads = async (queue: string): Promise<string[]> => {
      if (transport === 'stream')
        return (await streamRecords(suite.redis, layout(queue).stream)).map(({ payload }) => payload);
      const elements = await suite.redis.lrange(layout(queue).list, 0, -1);
      return elements.reverse().map((element) => JSON.parse(element).payload as string);
    };

    it('keeps the bytes on the direct path (send and sendBatch)', async () => {
      const queue = newQueue();

      await suite.sender.send(queue, TRICKY_JSON);
      await suite.sender.sendBatch(queue, [TRICKY_JSON, '[]', '{}', '9007199254740993', '"a/b"']);

      await expect(storedPayloads(queue)).resolves.toEqual([
        TRICKY_JSON,
        TRICKY_JSON,
        '[]',
        '{}',
        '9007199254740993',
        '"a/b"',
      ]);
    });

    it('keeps the bytes on the delayed path, through promotion', async () => {
      const queue = newQueue();

      await suite.sender.send(queue, TRICKY_JSON, { delay: 100 });
      await suite.sender.sendBatch(queue, ['[]', '{}'], { delay: 100 });

      const payloads = await pollUntil(
        () => storedPayloads(queue),
        (stored) => stored.length === 3,
      );
      expect(payloads.sort()).toEqual([TRICKY_JSON, '[]', '{}'].sort());
      expect(
        Buffer.from(
          payloads.find((text) => text.includes('big'))!,
          'utf8',
        ),
      ).toEqual(Buffer.from(TRICKY_JSON, 'utf8'));
    });

    it('keeps the bytes with the default JSON codec for values JSON can hold', async () => {
      const defaults = await bootSender(suite.valkey().url, { transport });
      try {
        const queue = newQueue();
        await defaults
          .get(QueueSender)
          .send(queue, { list: [], map: {}, big: 9007199254740991, path: 'a/b' }, { delay: 50 });

        const [payload] = await pollUntil(
          () => storedPayloads(queue),
          (stored) => stored.length === 1,
        );
        expect(payload).toBe('{"list":[],"map":{},"big":9007199254740991,"path":"a/b"}');
      } finally {
        await defaults.close();
      }
    });
  },
);
