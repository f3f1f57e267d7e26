import { InvalidAdminArgumentError, InvalidQueueNameError, QueueSender } from 'nestjs-valkey-queue';
import {
  appendAll,
  deadLetterFields,
  envelopeFields,
  testEnvelope,
  useAdmin,
} from './dead-letter-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';

describe('QueueAdmin peek, message, promote, cancelDelayed, deleteDeadLetters (real Valkey)', () => {
  const valkey = useValkey();
  const state = useAdmin(() => valkey().url);
  const sender = () => state.moduleRef.get(QueueSender);

  it('peeks waiting messages after the slowest group, page by page, without delivering them', async () => {
    const { admin, client, keys } = state;
    const envelopes = Array.from({ length: 5 }, (_, n) => testEnvelope({ labels: { n: String(n) } }));
    const entryIds = await appendAll(client, keys.stream, envelopes.map(envelopeFields));
    await client.xgroup('CREATE', keys.stream, 'fast', '$');
    await client.xgroup('CREATE', keys.stream, 'slow', entryIds[0]);
    const first = await admin.peek(keys.queue, { limit: 2 });
    expect(first.items.map((message) => message.id)).toEqual([envelopes[1].id, envelopes[2].id]);
    expect(first.items[0]).toMatchObject({
      state: 'waiting',
      entryId: entryIds[1],
      attempt: 4,
      labels: { n: '1' },
    });
    const second = await admin.peek(keys.queue, { limit: 2, cursor: first.nextCursor });
    expect(second.items.map((message) => message.id)).toEqual([envelopes[3].id, envelopes[4].id]);
    await expect(admin.peek(keys.queue, { limit: 2, cursor: second.nextCursor })).resolves.toEqual({
      items: [],
    });
    await expect(client.xpending(keys.stream, 'slow')).resolves.toEqual([0, null, null, null]);
  });

  it('peeks pending messages with their consumer, and finds a message by id wherever it is', async () => {
    const { admin, client, keys } = state;
    const [pending, waiting] = [testEnvelope(), testEnvelope()];
    await appendAll(client, keys.stream, [envelopeFields(pending), envelopeFields(waiting)]);
    await client.xgroup('CREATE', keys.stream, 'workers', '0');
    await client.xreadgroup('GROUP', 'workers', 'bob', 'COUNT', 1, 'STREAMS', keys.stream, '>');
    const page = await admin.peek(keys.queue, { state: 'pending' });
    expect(page.items).toEqual([
      expect.objectContaining({
        id: pending.id,
        state: 'pending',
        group: 'workers',
        consumer: 'bob',
        deliveries: 1,
      }),
    ]);
    await expect(admin.message(keys.queue, pending.id)).resolves.toMatchObject({
      state: 'pending',
      consumer: 'bob',
    });
    await expect(admin.message(keys.queue, waiting.id)).resolves.toMatchObject({ state: 'waiting' });
    await expect(admin.message(keys.queue, 'no-such-id')).resolves.toBeUndefined();
  });

  it('lists delayed messages by due time, promotes one to due now and cancels another', async () => {
    const { admin, client, keys } = state;
    const soon = await sender().send(keys.queue, { n: 1 }, { delay: 60_000, labels: { when: 'soon' } });
    const late = await sender().send(keys.queue, { n: 2 }, { delay: 120_000 });
    const page = await admin.peek(keys.queue, { state: 'delayed' });
    expect(page.items).toEqual([
      expect.objectContaining({ id: soon.id, state: 'delayed', payload: { n: 1 }, labels: { when: 'soon' } }),
      expect.objectContaining({ id: late.id, state: 'delayed', payload: { n: 2 } }),
    ]);
    expect(page.items[0].dueAt!.getTime()).toBeLessThan(page.items[1].dueAt!.getTime());
    await expect(admin.message(keys.queue, late.id)).resolves.toMatchObject({
      state: 'delayed',
      payload: { n: 2 },
    });

    // The sender watches the queue's delayed set: the signalled promoter moves the message at once.
    await expect(admin.promote(keys.queue, soon.id)).resolves.toBe(true);
    await waitFor(async () => (await client.zscore(keys.delayed, soon.id)) === null);
    const [[, fields]] = (await client.xrange(keys.stream, '-', '+')) as [string, string[]][];
    expect(fields).toEqual(expect.arrayContaining(['id', soon.id]));
    await expect(admin.promote(keys.queue, soon.id)).resolves.toBe(false); // no longer delayed
    await expect(admin.cancelDelayed(keys.queue, late.id)).resolves.toBe(true);
    await expect(client.zscore(keys.delayed, late.id)).resolves.toBeNull();
    await expect(client.hexists(`${keys.delayed}:bodies`, late.id)).resolves.toBe(0);
    await expect(admin.cancelDelayed(keys.queue, late.id)).resolves.toBe(false);
    await expect(admin.promote(keys.queue, late.id)).resolves.toBe(false);
    await expect(client.zscore(keys.delayed, late.id)).resolves.toBeNull(); // XX: never re-added
  });

  it('deletes dead letters by entry id', async () => {
    const { admin, client, keys } = state;
    const entryIds = await appendAll(client, keys.dead, [
      deadLetterFields(testEnvelope()),
      deadLetterFields(testEnvelope()),
    ]);
    await expect(admin.deleteDeadLetters(keys.queue, [entryIds[0], '1-1'])).resolves.toBe(1);
    await expect(client.xlen(keys.dead)).resolves.toBe(1);
    await expect(admin.deleteDeadLetters(keys.queue, [])).resolves.toBe(0);
  });

  it('validates before sending anything', async () => {
    const { admin, keys } = state;
    await expect(admin.peek('bad name')).rejects.toBeInstanceOf(InvalidQueueNameError);
    await expect(admin.peek(keys.queue, { state: 'running' as never })).rejects.toBeInstanceOf(
      InvalidAdminArgumentError,
    );
    await expect(admin.peek(keys.queue, { limit: 0 })).rejects.toBeInstanceOf(InvalidAdminArgumentError);
    await expect(admin.peek(keys.queue, { cursor: 'x' })).rejects.toBeInstanceOf(InvalidAdminArgumentError);
    await expect(admin.deleteDeadLetters(keys.queue, ['abc'])).rejects.toBeInstanceOf(
      InvalidAdminArgumentError,
    );
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
