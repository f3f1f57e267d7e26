import type { Envelope } from './envelope.js';
import { fromListElement } from './list-element.js';
import { EnvelopeError } from './envelope.error.js';
import { toValkeysenderElement } from './valkeysender-format.js';

const envelope: Envelope = {
  id: '0190b5f0-7c1a-7def-8000-000000000001',
  payload: '{"name":"Ada","email":"ada@example.com"}',
  headers: { 'trace-id': 't-1' },
  createdAt: Date.UTC(2026, 10, 26, 9, 30, 0, 250),
  attempt: 1,
  expiresAt: Date.UTC(2026, 10, 26, 9, 30, 0, 250) + 90_000,
};

/** What a Go valkeysender producer pushes (json.Marshal of its MessageEnvelope). */
const goElement = (fields: Record<string, unknown> = {}): string =>
  JSON.stringify({
    id: 'b9d2f3c4-1111-4aaa-8bbb-222233334444',
    queue: 'user-registrations',
    payload: Buffer.from('{"name":"Grace"}').toString('base64'),
    timestamp: '2026-11-26T09:30:00.123456789Z',
    ttl: 86_400_000_000_000, // 24h in nanoseconds
    retries: 0,
    ...fields,
  });

describe('valkeysender list elements', () => {
  it('writes base64 payload, RFC 3339 timestamp, nanosecond ttl and retries', () => {
    const written = JSON.parse(toValkeysenderElement(envelope, 'user-registrations')) as Record<
      string,
      unknown
    >;

    expect(written).toEqual({
      id: envelope.id,
      queue: 'user-registrations',
      payload: Buffer.from(envelope.payload).toString('base64'),
      headers: { 'trace-id': 't-1' },
      timestamp: '2026-11-26T09:30:00.250Z',
      ttl: 90_000 * 1_000_000,
      retries: 0,
    });
  });

  it('reads back what it writes, byte for byte', () => {
    expect(fromListElement(toValkeysenderElement({ ...envelope, attempt: 3 }, 'q'))).toEqual({
      ...envelope,
      attempt: 3,
    });
  });

  it('reads an element a Go producer pushed, keeping its id and expiry', () => {
    const read = fromListElement(goElement({ headers: { source: 'bot' }, retries: 2 }));

    expect(read).toEqual({
      id: 'b9d2f3c4-1111-4aaa-8bbb-222233334444',
      payload: '{"name":"Grace"}',
      headers: { source: 'bot' },
      createdAt: Date.UTC(2026, 10, 26, 9, 30, 0, 123),
      attempt: 3,
      expiresAt: Date.UTC(2026, 10, 26, 9, 30, 0, 123) + 86_400_000,
    });
  });

  it('carries labels as an extra property, which Go readers ignore, and reads them back', () => {
    const labelled = { ...envelope, labels: { tenant: 'acme' } };
    const written = JSON.parse(toValkeysenderElement(labelled, 'q')) as Record<string, unknown>;
    expect(written.labels).toEqual({ tenant: 'acme' });
    expect(fromListElement(JSON.stringify(written))).toEqual(labelled);
    expect(JSON.parse(toValkeysenderElement(envelope, 'q'))).not.toHaveProperty('labels');
  });

  it('carries a priority above 0 as an extra property, which Go readers ignore, and reads it back', () => {
    const prioritized = { ...envelope, priority: 4 };
    const written = JSON.parse(toValkeysenderElement(prioritized, 'q')) as Record<string, unknown>;
    expect(written.priority).toBe(4);
    expect(fromListElement(JSON.stringify(written))).toEqual(prioritized);
    expect(JSON.parse(toValkeysenderElement(envelope, 'q'))).not.toHaveProperty('priority');
    expect(() => fromListElement(goElement({ priority: 12 }))).toThrow(/priority must be/);
  });

  it('has no expiry when ttl is 0 or absent', () => {
    expect(fromListElement(goElement({ ttl: 0 }))).not.toHaveProperty('expiresAt');
    expect(fromListElement(goElement({ ttl: undefined }))).not.toHaveProperty('expiresAt');
  });

  it.each([
    ['no id', { id: '' }, /without an id/],
    ['a payload that is not base64', { payload: '{not base64}' }, /not base64/],
    ['a timestamp that is not a date', { timestamp: 'yesterday' }, /not RFC 3339/],
    ['a negative ttl', { ttl: -1 }, /nanoseconds >= 0/],
    ['fractional retries', { retries: 1.5 }, /whole number >= 0/],
    ['headers that are not strings', { headers: { n: 1 } }, /header values must be strings/],
    ['labels that are not an object', { labels: 'acme' }, /labels must be an object/],
    ['a label value that is not a string', { labels: { tenant: 1 } }, /labels.tenant must be a string/],
  ])('refuses an element with %s as broken (EnvelopeError)', (_, fields, message) => {
    const read = (): Envelope => fromListElement(goElement(fields));
    expect(read).toThrow(EnvelopeError);
    expect(read).toThrow(message);
  });
});
