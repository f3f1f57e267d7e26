import { useValkey } from '../utils/use-valkey.js';
import { deliver, envelopeFields } from '../workers/worker-test-kit.js';
import { useScripts } from './lua-kit.js';

describe('delete-idle-consumer.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(() => valkey().url);
  beforeEach(async () => {
    await state.client.xgroup('CREATE', state.keys.stream, 'g', '0', 'MKSTREAM');
    await state.client.xgroup('CREATE', state.keys.stream, 'other', '0');
  });

  const consumers = async (group: string): Promise<string[]> => {
    const { client, keys } = state;
    const { stream } = keys;
    const replies = (await client.call('XINFO', 'CONSUMERS', stream, group)) as unknown[][];
    return replies.map((reply) => String(reply[reply.indexOf('name') + 1]));
  };

  it('deletes an idle consumer with nothing pending, only in the given group', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await client.xgroup('CREATECONSUMER', stream, 'g', 'gone');
    await client.xgroup('CREATECONSUMER', stream, 'other', 'gone');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'gone', 0)).resolves.toBe(1);
    await expect(consumers('g')).resolves.toEqual([]);
    await expect(consumers('other')).resolves.toEqual(['gone']);
  });

  it('returns -1 and keeps a consumer with pending entries', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await client.xadd(stream, '*', ...envelopeFields('1'));
    await deliver(client, stream, 'g', 'busy');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'busy', 0)).resolves.toBe(-1);
    await expect(consumers('g')).resolves.toEqual(['busy']);
  });

  it('returns -2 for a consumer not idle long enough', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await client.xgroup('CREATECONSUMER', stream, 'g', 'fresh');
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'fresh', 3_600_000)).resolves.toBe(-2);
    await expect(consumers('g')).resolves.toEqual(['fresh']);
  });

  it('returns 0 for an unknown consumer', async () => {
    const { client, keys } = state;
    const { stream } = keys;
    await expect(client.vqDeleteIdleConsumer(stream, 'g', 'nobody', 0)).resolves.toBe(0);
  });
});
