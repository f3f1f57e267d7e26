import { QueueAdmin } from 'nestjs-valkey-queue';
import {
  addDeadLetters,
  appendAll,
  bootQueueModule,
  deadLetterFields,
  testEnvelope,
  toRecord,
  TRICKY_PAYLOAD,
  useAdmin,
} from './dead-letter-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';

describe('QueueAdmin.redrive (real Valkey)', () => {
  const valkey = useValkey();
  const state = useAdmin(() => valkey().url);

  const streamEntries = async () =>
    (await state.client.xrange(state.keys.stream, '-', '+')).map(([, fields]) => ({
      fields,
      record: toRecord(fields),
    }));
  const deadIds = async () =>
    (await state.client.xrange(state.keys.dead, '-', '+')).map(([, fields]) => toRecord(fields).id);

  it('moves 10 back with attempt 1, byte-identical payloads, markers cleared, DLQ 10 smaller', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const { envelopes } = await addDeadLetters(client, keys.dead, 15);
    for (const { id } of envelopes) await client.set(keys.done(id), '1');

    await expect(admin.redrive(queue, { count: 10 })).resolves.toBe(10);

    const moved = await streamEntries();
    expect(moved.map(({ record }) => record.id)).toEqual(envelopes.slice(0, 10).map(({ id }) => id));
    for (const { fields, record } of moved) {
      expect(record.attempt).toBe('1');
      expect(record.payload).toBe(TRICKY_PAYLOAD);
      expect(Buffer.from(record.payload)).toEqual(Buffer.from(TRICKY_PAYLOAD));
      expect(fields.filter((_, index) => index % 2 === 0)).toEqual([
        'v',
        'id',
        'payload',
        'headers',
        'createdAt',
        'attempt',
      ]);
    }
    await expect(deadIds()).resolves.toEqual(envelopes.slice(10).map(({ id }) => id));
    for (const [index, { id }] of envelopes.entries()) {
      await expect(client.exists(keys.done(id))).resolves.toBe(index < 10 ? 0 : 1);
    }
    await expect(admin.stats(queue)).resolves.toMatchObject({ redriven: 10, deadLetters: 5, length: 10 });
  });

  it('moves 100 by default and pages through larger counts in batches', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    await addDeadLetters(client, keys.dead, 260);

    await expect(admin.redrive(queue)).resolves.toBe(100);
    await expect(admin.redrive(queue, { count: 1000 })).resolves.toBe(160);

    await expect(client.xlen(keys.stream)).resolves.toBe(260);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(admin.redrive(queue)).resolves.toBe(0);
  });

  it('moves the entries with the given envelope ids, and only those', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const { envelopes } = await addDeadLetters(client, keys.dead, 300);
    const picked = [envelopes[250], envelopes[3], envelopes[120]].map(({ id }) => id);

    await expect(admin.redrive(queue, { ids: [...picked, 'not-in-the-dlq', picked[0]] })).resolves.toBe(3);

    const moved = (await streamEntries()).map(({ record }) => record.id);
    expect(moved.sort()).toEqual([...picked].sort());
    const left = await deadIds();
    expect(left).toHaveLength(297);
    expect(left).not.toEqual(expect.arrayContaining([picked[0]]));
    await expect(admin.redrive(queue, { ids: picked })).resolves.toBe(0);
  });

  it('caps a redrive by ids at count', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const { envelopes } = await addDeadLetters(client, keys.dead, 5);

    await expect(admin.redrive(queue, { ids: envelopes.map(({ id }) => id), count: 2 })).resolves.toBe(2);

    await expect(client.xlen(keys.stream)).resolves.toBe(2);
    await expect(admin.redrive(queue, { ids: [] })).resolves.toBe(0);
  });

  it('never duplicates when two redrives read the same entries before either moves them', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    await addDeadLetters(client, keys.dead, 10);

    // One connection: both XRANGE scans are answered before either script runs, so both scripts
    // are handed the same 10 entries and the second must find them gone.
    const counts = await Promise.all([
      admin.redrive(queue, { count: 10 }),
      admin.redrive(queue, { count: 10 }),
    ]);

    expect(counts.sort((a, b) => a - b)).toEqual([0, 10]);
    await expect(client.xlen(keys.stream)).resolves.toBe(10);
    await expect(client.hget(keys.stats, 'redriven')).resolves.toBe('10');
  });

  it('never duplicates when two admins redrive the same entries at once', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const second = await bootQueueModule(valkey().url);
    try {
      const { envelopes } = await addDeadLetters(client, keys.dead, 10);
      const admins = [admin, second.get(QueueAdmin)];

      const counts = await Promise.all(admins.map((each) => each.redrive(queue, { count: 10 })));

      expect(counts[0] + counts[1]).toBe(10);
      const moved = (await streamEntries()).map(({ record }) => record.id);
      expect(moved).toHaveLength(10);
      expect(new Set(moved)).toEqual(new Set(envelopes.map(({ id }) => id)));
      await expect(client.xlen(keys.dead)).resolves.toBe(0);

      await addDeadLetters(client, keys.dead, 10);
      const ids = (await client.xrange(keys.dead, '-', '+')).map(([, fields]) => toRecord(fields).id);
      const byIds = await Promise.all(
        [...admins, ...admins].map((each) => each.redrive(queue, { ids: [...ids].reverse() })),
      );
      expect(byIds.reduce((sum, count) => sum + count, 0)).toBe(10);
      await expect(client.xlen(keys.stream)).resolves.toBe(20);
    } finally {
      await second.close();
    }
  });

  it('skips broken entries without an envelope and leaves them in the dead-letter stream', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const valid = [testEnvelope(), testEnvelope(), testEnvelope()];
    await appendAll(client, keys.dead, [
      ['payload', 'raw', 'reason', 'broken', 'error', 'no schema version (field v)'],
      deadLetterFields(valid[0]),
      ['id', 'delayed-1', 'reason', 'broken', 'error', 'unreadable delayed body', 'raw', '3:ab'],
      deadLetterFields(valid[1], { reason: 'broken', error: 'bad JSON' }),
      deadLetterFields(valid[2], { reason: 'expired', attempts: 0 }),
    ]);

    await expect(admin.redrive(queue, { count: 2 })).resolves.toBe(2);
    await expect(admin.redrive(queue, { ids: ['delayed-1', valid[2].id] })).resolves.toBe(1);
    await expect(admin.redrive(queue)).resolves.toBe(0);

    const moved = (await streamEntries()).map(({ record }) => record.id);
    expect(moved).toEqual(valid.map(({ id }) => id));
    const left = await admin.deadLetters(queue);
    expect(left.map((letter) => letter.redrivable)).toEqual([false, false]);
  });

  it('drops an expiresAt that has already passed, so the message is handled, not expired again', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const expired = testEnvelope({ expiresAt: Date.now() - 1_000 });
    await appendAll(client, keys.dead, [deadLetterFields(expired, { reason: 'expired', attempts: 0 })]);

    await expect(admin.redrive(queue)).resolves.toBe(1);

    const [{ record }] = await streamEntries();
    expect(record).not.toHaveProperty('expiresAt');
    expect(record).toMatchObject({ id: expired.id, attempt: '1', payload: TRICKY_PAYLOAD });
  });
});
