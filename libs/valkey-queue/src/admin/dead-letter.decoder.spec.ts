import { decodeDeadLetter, isRedrivable } from './dead-letter.decoder.js';

const envelope = [
  'v',
  '1',
  'id',
  'm-1',
  'payload',
  '{"a":[]}',
  'headers',
  '{"h":"1"}',
  'createdAt',
  '10',
  'attempt',
  '3',
];

describe('decodeDeadLetter', () => {
  it('decodes a dead entry without raw', () => {
    const letter = decodeDeadLetter('5-0', [
      ...envelope,
      'reason',
      'dead',
      'error',
      'boom',
      'attempts',
      '3',
      'failedAt',
      '20',
      'sourceId',
      '1-0',
    ]);
    expect(letter).toEqual({
      entryId: '5-0',
      id: 'm-1',
      reason: 'dead',
      error: 'boom',
      attempts: 3,
      failedAt: new Date(20),
      createdAt: new Date(10),
      sourceId: '1-0',
      headers: { h: '1' },
      labels: {},
      priority: 0,
      payload: { a: [] },
      payloadText: '{"a":[]}',
      redrivable: true,
    });
  });

  it('reads the priority, 0 when it is malformed', () => {
    const fields = ['v', '1', 'id', 'm-1', 'payload', '1', 'reason', 'dead'];
    expect(decodeDeadLetter('5-0', [...fields, 'priority', '9']).priority).toBe(9);
    expect(decodeDeadLetter('5-0', [...fields, 'priority', 'high']).priority).toBe(0);
  });

  it('keeps raw for broken entries and entries without an envelope', () => {
    expect(decodeDeadLetter('1-0', [...envelope, 'reason', 'broken']).raw).toMatchObject({ id: 'm-1' });
    expect(decodeDeadLetter('1-0', ['reason', 'dead', 'payload', 'x'])).toMatchObject({
      reason: 'dead',
      payloadText: 'x',
      redrivable: false,
      raw: { reason: 'dead', payload: 'x' },
    });
  });

  it('never throws on malformed values', () => {
    const letter = decodeDeadLetter('1-0', [
      'headers',
      '{"n":1}',
      'attempts',
      '-2',
      'failedAt',
      '99999999999999999',
      'expiresAt',
      '9000000000000000',
      'payload',
      '{',
    ]);
    expect(letter).toMatchObject({ reason: 'broken', attempts: 0, headers: {}, payloadText: '{' });
    expect(letter).not.toHaveProperty('payload');
    expect(letter).not.toHaveProperty('failedAt');
    expect(letter).not.toHaveProperty('expiresAt');
  });

  it('reads labels, and reads malformed ones as none', () => {
    const labelled = decodeDeadLetter('1-0', [...envelope, 'labels', '{"tenant":"acme"}', 'reason', 'dead']);
    expect(labelled.labels).toEqual({ tenant: 'acme' });
    for (const malformed of ['tenant', '[]', '{"tenant":1}', '{"Bad Key":"x"}', '']) {
      expect(decodeDeadLetter('1-0', [...envelope, 'labels', malformed]).labels).toEqual({});
    }
  });

  it('decides redrivability from v, id and payload', () => {
    expect(isRedrivable({ v: '1', id: 'a', payload: '' })).toBe(true);
    expect(isRedrivable({ v: '1', id: '', payload: '{}' })).toBe(false);
    expect(isRedrivable({ id: 'a', payload: '{}' })).toBe(false);
    expect(isRedrivable({ v: '1', id: 'a' })).toBe(false);
  });
});
