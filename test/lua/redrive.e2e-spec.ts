import { randomUUID } from 'node:crypto';
import {
  appendAll,
  deadLetterFields,
  testEnvelope,
  testKeys,
  toRecord,
  TRICKY_PAYLOAD,
} from '../admin/dead-letter-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';
import { useScripts } from './lua-kit.js';

const NOW = 1_764_143_100_000;

describe('redrive.lua (real Valkey)', () => {
  const valkey = useValkey();
  const state = useScripts(
    () => valkey().url,
    () => testKeys(randomUUID()),
  );

  /** Calls the script for entries given as [dead-letter entry id, envelope id]. */
  const redrive = (entries: [entryId: string, id: string][], now = NOW) =>
    state.client.vqRedrive(
      3 + entries.length,
      state.keys.dead,
      state.keys.stream,
      state.keys.stats,
      ...entries.map(([, id]) => state.keys.done(id)),
      now,
      ...entries.map(([entryId]) => entryId),
    );
  const streamRecords = async () =>
    (await state.client.xrange(state.keys.stream, '-', '+')).map(([, fields]) => toRecord(fields));

  it('drops firstAttempt and a stack: a redriven message starts with a fresh retry budget', async () => {
    const { client, keys } = state;
    const envelope = testEnvelope({ attempt: 4 });
    const dead = deadLetterFields(envelope);
    // a dead retry copy: firstAttempt after the envelope fields, stack after the dead-letter fields
    const fields = [
      ...dead.slice(0, dead.indexOf('reason')),
      'firstAttempt',
      '3',
      ...dead.slice(dead.indexOf('reason')),
      'stack',
      'Error: boom',
    ];
    const [entryId] = await appendAll(client, keys.dead, [fields]);

    await expect(redrive([[entryId, envelope.id]])).resolves.toEqual([1]);

    const [moved] = await streamRecords();
    expect(moved).toMatchObject({ id: envelope.id, attempt: '1' });
    expect(moved).not.toHaveProperty('firstAttempt');
    expect(moved).not.toHaveProperty('stack');
  });

  it('returns 1 and moves an entry: envelope verbatim, attempt 1, DLQ fields dropped, marker cleared', async () => {
    const { client, keys } = state;
    const envelope = testEnvelope({ headers: { trace: 'x/1' }, attempt: 4, dedupKey: 'k-1' });
    const [entryId] = await appendAll(client, keys.dead, [deadLetterFields(envelope)]);
    await client.set(keys.done(envelope.id), '1');

    await expect(redrive([[entryId, envelope.id]])).resolves.toEqual([1]);

    const [[, fields]] = await client.xrange(keys.stream, '-', '+');
    expect(fields).toEqual([
      'v',
      '1',
      'id',
      envelope.id,
      'payload',
      TRICKY_PAYLOAD,
      'headers',
      '{"trace":"x/1"}',
      'createdAt',
      '1764143011120',
      'attempt',
      '1',
      'dedupKey',
      'k-1',
    ]);
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
    await expect(client.exists(keys.done(envelope.id))).resolves.toBe(0);
    await expect(client.hget(keys.stats, 'redriven')).resolves.toBe('1');
  });

  it('returns 0 for an entry that is gone, without touching the queue or the counter', async () => {
    const { client, keys } = state;
    const envelope = testEnvelope();
    const [entryId] = await appendAll(client, keys.dead, [deadLetterFields(envelope)]);
    await client.xdel(keys.dead, entryId);
    await client.set(keys.done(envelope.id), '1');

    await expect(redrive([[entryId, envelope.id]])).resolves.toEqual([0]);

    await expect(client.exists(keys.stream)).resolves.toBe(0);
    await expect(client.exists(keys.done(envelope.id))).resolves.toBe(1);
    await expect(client.hget(keys.stats, 'redriven')).resolves.toBeNull();
  });

  it('returns -1 for an entry without a full envelope and keeps it in the dead-letter stream', async () => {
    const { client, keys } = state;
    const withoutPayload = ['v', '1', 'id', 'no-payload', 'reason', 'broken', 'error', 'bad'];
    const withoutVersion = ['id', 'no-v', 'payload', '{}', 'reason', 'broken'];
    const withEmptyId = ['v', '1', 'id', '', 'payload', '{}', 'reason', 'broken'];
    const entryIds = await appendAll(client, keys.dead, [withoutPayload, withoutVersion, withEmptyId]);

    await expect(
      redrive([
        [entryIds[0], 'no-payload'],
        [entryIds[1], 'no-v'],
        [entryIds[2], ''],
      ]),
    ).resolves.toEqual([-1, -1, -1]);

    await expect(client.xlen(keys.dead)).resolves.toBe(3);
    await expect(client.exists(keys.stream)).resolves.toBe(0);
  });

  it('reports each entry of a mixed batch in order and counts only the moved ones', async () => {
    const { client, keys } = state;
    const [first, second] = [testEnvelope(), testEnvelope()];
    const entryIds = await appendAll(client, keys.dead, [
      deadLetterFields(first),
      ['id', 'broken-1', 'reason', 'broken', 'raw', 'xx'],
      deadLetterFields(second),
    ]);
    await client.xdel(keys.dead, entryIds[2]);
    await client.hset(keys.stats, 'redriven', '5');

    await expect(
      redrive([
        [entryIds[0], first.id],
        [entryIds[1], 'broken-1'],
        [entryIds[2], second.id],
      ]),
    ).resolves.toEqual([1, -1, 0]);

    await expect(client.hget(keys.stats, 'redriven')).resolves.toBe('6');
    await expect(streamRecords()).resolves.toEqual([expect.objectContaining({ id: first.id, attempt: '1' })]);
  });

  it('adds attempt = 1 when the entry has no attempt field', async () => {
    const { client, keys } = state;
    const envelope = testEnvelope();
    const fields = deadLetterFields(envelope);
    fields.splice(fields.indexOf('attempt'), 2);
    const [entryId] = await appendAll(client, keys.dead, [fields]);

    await expect(redrive([[entryId, envelope.id]])).resolves.toEqual([1]);

    await expect(streamRecords()).resolves.toEqual([expect.objectContaining({ attempt: '1' })]);
  });

  it('drops an expiresAt that has passed and keeps one still ahead', async () => {
    const { client, keys } = state;
    const expired = testEnvelope({ expiresAt: NOW - 1 });
    const alive = testEnvelope({ expiresAt: NOW + 60_000 });
    const entryIds = await appendAll(client, keys.dead, [
      deadLetterFields(expired, { reason: 'expired' }),
      deadLetterFields(alive),
    ]);

    await expect(
      redrive([
        [entryIds[0], expired.id],
        [entryIds[1], alive.id],
      ]),
    ).resolves.toEqual([1, 1]);

    const [first, second] = await streamRecords();
    expect(first).not.toHaveProperty('expiresAt');
    expect(second.expiresAt).toBe(String(NOW + 60_000));
  });

  it('moves an entry once when the same batch names it twice', async () => {
    const { client, keys } = state;
    const envelope = testEnvelope();
    const [entryId] = await appendAll(client, keys.dead, [deadLetterFields(envelope)]);

    await expect(
      redrive([
        [entryId, envelope.id],
        [entryId, envelope.id],
      ]),
    ).resolves.toEqual([1, 0]);

    await expect(client.xlen(keys.stream)).resolves.toBe(1);
  });
});
