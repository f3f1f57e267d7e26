import { decodeEnvelope } from '../workers/decode-envelope.js';
import { fieldsToListElement, fromListElement, listElementFields, nextListElement } from './list-element.js';

const TRICKY = '{"list":[],"map":{},"big":9007199254740993,"path":"a\\/b","é":"😀"}';
const element = JSON.stringify({
  v: '1',
  id: 'id-1',
  payload: TRICKY,
  headers: { trace: 't' },
  createdAt: 1764143011120,
  attempt: 2,
  expiresAt: 1764143099999,
});

describe('list elements', () => {
  it('reads an element into envelope fields the consumer decodes, payload text unchanged', () => {
    const fields = listElementFields(element);
    expect(fields).toEqual([
      'v',
      '1',
      'id',
      'id-1',
      'payload',
      TRICKY,
      'headers',
      '{"trace":"t"}',
      'createdAt',
      '1764143011120',
      'attempt',
      '2',
      'expiresAt',
      '1764143099999',
    ]);
    expect(decodeEnvelope(fields)).toEqual({
      id: 'id-1',
      payload: TRICKY,
      headers: { trace: 't' },
      createdAt: 1764143011120,
      attempt: 2,
      expiresAt: 1764143099999,
    });
  });

  it('carries labels as a JSON object property through reads, retry copies and redrive elements', () => {
    const labelled = JSON.stringify({ ...JSON.parse(element), labels: { tenant: 'acme' } });
    const fields = listElementFields(labelled);
    expect(fields.slice(-2)).toEqual(['labels', '{"tenant":"acme"}']);
    expect(decodeEnvelope(fields).labels).toEqual({ tenant: 'acme' });
    expect(fromListElement(labelled).labels).toEqual({ tenant: 'acme' });
    const retry = nextListElement(labelled, fields, 3, 2);
    expect(JSON.parse(retry)).toHaveProperty('labels', { tenant: 'acme' });
    expect(JSON.parse(fieldsToListElement(fields))).toEqual(JSON.parse(labelled));
  });

  it('carries a priority as a number property through reads, retry copies and redrive elements', () => {
    const prioritized = JSON.stringify({ ...JSON.parse(element), priority: 7 });
    const fields = listElementFields(prioritized);
    expect(fields.slice(-2)).toEqual(['priority', '7']);
    expect(decodeEnvelope(fields).priority).toBe(7);
    expect(fromListElement(prioritized).priority).toBe(7);
    expect(JSON.parse(nextListElement(prioritized, fields, 3, 2))).toHaveProperty('priority', 7);
    expect(JSON.parse(fieldsToListElement(fields))).toEqual(JSON.parse(prioritized));
  });

  it.each([11, -1, 2.5, 'high', true])(
    'reads a foreign element whose priority is %p as broken',
    (priority) => {
      const foreign = JSON.stringify({ ...JSON.parse(element), priority });
      expect(() => decodeEnvelope(listElementFields(foreign))).toThrow(/priority must be/);
      expect(() => fromListElement(foreign)).toThrow(/priority must be/);
    },
  );

  it.each([
    ['a string', '"tenant=acme"'],
    ['an array', '["acme"]'],
    ['a number value', '{"tenant":1}'],
    ['a key that breaks the rules', '{"Tenant":"acme"}'],
  ])('reads a foreign element whose labels are %s as broken', (_, labels) => {
    const foreign = element.replace(/}$/, `,"labels":${labels}}`);
    expect(() => decodeEnvelope(listElementFields(foreign))).toThrow(/labels/);
    expect(() => fromListElement(foreign)).toThrow(/labels/);
  });

  it('keeps an element that is not a JSON object whole in `raw` (a broken message)', () => {
    expect(listElementFields('not json')).toEqual(['raw', 'not json']);
    expect(listElementFields('[1,2]')).toEqual(['raw', '[1,2]']);
    expect(listElementFields('"text"')).toEqual(['raw', '"text"']);
    expect(() => decodeEnvelope(listElementFields('{}'))).toThrow(/schema version/);
  });

  it('builds the retry copy: attempt replaced in place, firstAttempt added, the rest (payload text included) kept', () => {
    const next = nextListElement(element, listElementFields(element), 3, 1);
    expect(JSON.parse(next)).toEqual({ ...JSON.parse(element), attempt: 3, firstAttempt: 1 });
    expect(Object.keys(JSON.parse(next))).toEqual([...Object.keys(JSON.parse(element)), 'firstAttempt']);
    expect((JSON.parse(next) as { payload: string }).payload).toBe(TRICKY);
    // no attempt yet: added
    const bare = JSON.stringify({ v: '1', id: 'x', payload: '1' });
    expect(JSON.parse(nextListElement(bare, [], 2, 1))).toEqual({
      v: '1',
      id: 'x',
      payload: '1',
      attempt: 2,
      firstAttempt: 1,
    });
    // a later copy: firstAttempt replaced in place, and read back
    const later = nextListElement(next, listElementFields(next), 4, 1);
    expect(decodeEnvelope(listElementFields(later))).toMatchObject({ attempt: 4, firstAttempt: 1 });
  });

  it('builds an element from envelope fields (a redrive), in the wire format of the senders', () => {
    const fields = listElementFields(element);
    expect(JSON.parse(fieldsToListElement(fields))).toEqual(JSON.parse(element));
    const odd = fieldsToListElement(['v', '1', 'id', 'y', 'payload', '2', 'headers', 'nope', 'attempt', 'x']);
    expect(JSON.parse(odd)).toEqual({ v: '1', id: 'y', payload: '2', headers: {}, attempt: 'x' });
  });

  it("reads valkeysender's element (base64 payload, ns TTL, retries) and keeps its format in retry copies", () => {
    const sent = JSON.stringify({
      id: 'vs-1',
      queue: 'orders',
      payload: Buffer.from(TRICKY, 'utf8').toString('base64'),
      headers: { trace: 't' },
      timestamp: '2026-11-26T09:30:00.250Z',
      ttl: 5_000_000_000,
      retries: 1,
    });
    const createdAt = Date.parse('2026-11-26T09:30:00.250Z');
    expect(decodeEnvelope(listElementFields(sent))).toEqual({
      id: 'vs-1',
      payload: TRICKY,
      headers: { trace: 't' },
      createdAt,
      attempt: 2,
      expiresAt: createdAt + 5_000,
    });
    const next = JSON.parse(nextListElement(sent, listElementFields(sent), 3, 2)) as Record<string, unknown>;
    expect(next).toEqual({ ...JSON.parse(sent), retries: 2, firstAttempt: 2 });
    expect(next).not.toHaveProperty('attempt');
    expect(decodeEnvelope(listElementFields(JSON.stringify(next)))).toMatchObject({
      attempt: 3,
      firstAttempt: 2,
    });
    // unreadable (payload not base64): broken
    const bad = JSON.stringify({ id: 'x', queue: 'q', payload: '!!', timestamp: 'now', ttl: 0, retries: 0 });
    expect(() => decodeEnvelope(listElementFields(bad))).toThrow(/schema version/);
  });
});
