import type { DeadLetter } from 'nestjs-valkey-queue';
import {
  addDeadLetters,
  appendAll,
  deadLetterFields,
  testEnvelope,
  TRICKY_PAYLOAD,
  useAdmin,
} from './dead-letter-fixtures.js';
import { useValkey } from '../utils/use-valkey.js';

describe('QueueAdmin.deadLetters (real Valkey)', () => {
  const valkey = useValkey();
  const state = useAdmin(() => valkey().url);

  it('pages through 250 entries with the cursor, oldest first, 100 by default', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const { envelopes, entryIds } = await addDeadLetters(client, keys.dead, 250);

    const pages: DeadLetter[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await admin.deadLetters(queue, { cursor });
      pages.push(page);
      if (page.length < 100) break;
      cursor = page.at(-1)!.entryId;
    }

    expect(pages.map((page) => page.length)).toEqual([100, 100, 50]);
    const letters = pages.flat();
    expect(letters.map((letter) => letter.entryId)).toEqual(entryIds);
    expect(letters.map((letter) => letter.id)).toEqual(envelopes.map((envelope) => envelope.id));
  });

  it('honours count and returns an empty page after the last entry', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const { entryIds } = await addDeadLetters(client, keys.dead, 7);

    const first = await admin.deadLetters(queue, { count: 3 });
    const second = await admin.deadLetters(queue, { count: 3, cursor: first[2].entryId });
    const last = await admin.deadLetters(queue, { count: 3, cursor: second[2].entryId });

    expect([...first, ...second, ...last].map((letter) => letter.entryId)).toEqual(entryIds);
    expect(last).toHaveLength(1);
    await expect(admin.deadLetters(queue, { cursor: entryIds[6] })).resolves.toEqual([]);
  });

  it('filters by labels across pages of the stream, continuing from a cursor', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    // 250 entries; every 50th is acme's, the others another tenant's or unlabelled.
    const envelopes = Array.from({ length: 250 }, (_, index) =>
      testEnvelope(
        index % 50 === 49
          ? { labels: { tenant: 'acme', tier: 'gold' } }
          : index % 2 === 0
            ? { labels: { tenant: 'other' } }
            : {},
      ),
    );
    await appendAll(
      client,
      keys.dead,
      envelopes.map((envelope) => deadLetterFields(envelope)),
    );
    const acme = envelopes.filter((envelope) => envelope.labels?.tenant === 'acme').map(({ id }) => id);

    const first = await admin.deadLetters(queue, { labels: { tenant: 'acme' }, count: 3 });
    expect(first.map((letter) => letter.id)).toEqual(acme.slice(0, 3));
    expect(first.every((letter) => letter.labels.tier === 'gold')).toBe(true);
    const rest = await admin.deadLetters(queue, { labels: { tenant: 'acme' }, cursor: first[2].entryId });
    expect(rest.map((letter) => letter.id)).toEqual(acme.slice(3));
    await expect(admin.deadLetters(queue, { labels: { tenant: 'acme', tier: 'silver' } })).resolves.toEqual(
      [],
    );

    await expect(admin.redrive(queue, { labels: { tenant: 'acme' }, count: 1000 })).resolves.toBe(5);
    await expect(client.xlen(keys.dead)).resolves.toBe(245);
    await expect(admin.deadLetters(queue, { labels: { tenant: 'acme' } })).resolves.toEqual([]);
  });

  it('reads an empty page for a queue without dead letters', async () => {
    const { admin, keys } = state;
    const { queue } = keys;
    await expect(admin.deadLetters(queue)).resolves.toEqual([]);
  });

  it('decodes a dead entry: payload parsed and kept as text, metadata typed', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const envelope = testEnvelope({
      headers: { trace: 'abc' },
      createdAt: 1_764_143_011_120,
      expiresAt: 1_764_143_999_000,
      dedupKey: 'order-42',
      labels: { tenant: 'acme' },
    });
    const [entryId] = await appendAll(client, keys.dead, [
      deadLetterFields(envelope, {
        reason: 'dead',
        error: 'Error: payment declined',
        attempts: 4,
        failedAt: 1_764_143_099_000,
        sourceId: '1764143011123-0',
      }),
    ]);

    const [letter] = await admin.deadLetters(queue);

    expect(letter).toEqual({
      entryId,
      id: envelope.id,
      reason: 'dead',
      error: 'Error: payment declined',
      attempts: 4,
      failedAt: new Date(1_764_143_099_000),
      sourceId: '1764143011123-0',
      headers: { trace: 'abc' },
      createdAt: new Date(1_764_143_011_120),
      expiresAt: new Date(1_764_143_999_000),
      dedupKey: 'order-42',
      labels: { tenant: 'acme' },
      priority: 0,
      payload: { list: [], map: {}, big: 9007199254740992, path: 'a/b', text: 'a/b', é: 'ü' },
      payloadText: TRICKY_PAYLOAD,
      redrivable: true,
    });
  });

  it('decodes an expired entry', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const envelope = testEnvelope({ payload: '"hello"', expiresAt: 1_764_143_000_000 });
    await appendAll(client, keys.dead, [
      deadLetterFields(envelope, { reason: 'expired', error: 'expired before delivery', attempts: 0 }),
    ]);

    await expect(admin.deadLetters(queue)).resolves.toEqual([
      expect.objectContaining({
        id: envelope.id,
        reason: 'expired',
        error: 'expired before delivery',
        attempts: 0,
        payload: 'hello',
        expiresAt: new Date(1_764_143_000_000),
        redrivable: true,
      }),
    ]);
  });

  it('decodes broken entries: with an envelope, without one, and as the promoter writes them', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const notJson = testEnvelope({ payload: '{not json' });
    await appendAll(client, keys.dead, [
      deadLetterFields(notJson, { reason: 'broken', error: 'Unexpected token n', attempts: 0 }),
      ['payload', 'raw bytes', 'reason', 'broken', 'error', 'no schema version (field v)', 'sourceId', '9-0'],
      ['id', 'abc', 'reason', 'broken', 'error', 'unreadable delayed body', 'raw', '3:ab', 'failedAt', '17'],
    ]);

    const [withEnvelope, withoutEnvelope, fromPromoter] = await admin.deadLetters(queue);

    expect(withEnvelope).toMatchObject({ id: notJson.id, reason: 'broken', redrivable: true });
    expect(withEnvelope.payloadText).toBe('{not json');
    expect(withEnvelope).not.toHaveProperty('payload');
    expect(withEnvelope.raw).toMatchObject({ v: '1', id: notJson.id, payload: '{not json' });

    expect(withoutEnvelope).toMatchObject({
      reason: 'broken',
      error: 'no schema version (field v)',
      sourceId: '9-0',
      redrivable: false,
      raw: {
        payload: 'raw bytes',
        reason: 'broken',
        error: 'no schema version (field v)',
        sourceId: '9-0',
      },
    });
    expect(withoutEnvelope).not.toHaveProperty('id');

    expect(fromPromoter).toMatchObject({
      id: 'abc',
      reason: 'broken',
      failedAt: new Date(17),
      redrivable: false,
      raw: { id: 'abc', raw: '3:ab' },
    });
  });

  it('returns malformed entries as stored instead of throwing', async () => {
    const { client, admin, keys } = state;
    const { queue } = keys;
    const fields = [
      ['v', '1', 'id', 'm-1', 'payload', '[1,2]', 'headers', 'not json', 'attempts', 'many', 'failedAt', 'x'],
      ['reason', 'quarantined', 'headers', '{"n":1}', 'createdAt', '99999999999999999999'],
      ['x', 'y'],
    ];
    await appendAll(client, keys.dead, fields);

    const [noReason, unknownReason, oddField] = await admin.deadLetters(queue);

    expect(noReason).toMatchObject({
      id: 'm-1',
      reason: 'broken',
      error: '',
      attempts: 0,
      headers: {},
      payload: [1, 2],
      redrivable: true,
    });
    expect(noReason).not.toHaveProperty('failedAt');
    expect(unknownReason).toMatchObject({ reason: 'quarantined', headers: {}, redrivable: false });
    expect(unknownReason).not.toHaveProperty('createdAt');
    expect(oddField).toMatchObject({ reason: 'broken', attempts: 0, redrivable: false, raw: { x: 'y' } });
  });
});
