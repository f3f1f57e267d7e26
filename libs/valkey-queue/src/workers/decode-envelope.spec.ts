import { EnvelopeError, fromStreamFields, toStreamFields, type Envelope } from '../envelope/envelope.js';
import { decodeEnvelope } from './decode-envelope.js';

const base: Envelope = {
  id: '019a-id',
  payload: '{"a":[]}',
  headers: {},
  createdAt: 1_764_143_011_120,
  attempt: 2,
};

/** Minimal envelope fields with a `labels` field as a producer wrote it. */
const withLabels = (labels: string): string[] => [
  ...['v', '1', 'id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '1'],
  'labels',
  labels,
];

describe('decodeEnvelope (fast path of fromStreamFields)', () => {
  it.each<[string, Envelope]>([
    ['a plain envelope', base],
    ['with expiresAt and dedupKey', { ...base, expiresAt: 1_764_143_099_000, dedupKey: 'k-1' }],
    ['a retry copy (firstAttempt)', { ...base, firstAttempt: 1 }],
    ['a retry copy of a producer starting at attempt 2', { ...base, firstAttempt: 2 }],
    ['with headers', { ...base, headers: { trace: 'x/1' } }],
    ['with labels (slow path)', { ...base, labels: { tenant: 'acme', 'region.eu-1': 'ü' } }],
    ['with a priority (slow path)', { ...base, priority: 7 }],
  ])('reads %s exactly as fromStreamFields does', (_, envelope) => {
    const fields = toStreamFields(envelope);
    expect(decodeEnvelope(fields)).toEqual(fromStreamFields(fields));
    expect(decodeEnvelope(fields)).toEqual(envelope);
  });

  it('reads priority 0 as no priority, and refuses a malformed one as broken', () => {
    expect(decodeEnvelope([...toStreamFields(base), 'priority', '0'])).toEqual(base);
    expect(decodeEnvelope([...toStreamFields(base), 'priority', '10'])).toEqual({ ...base, priority: 10 });
    for (const bad of ['11', '-1', '1.5', 'high', '', ' 3', '007']) {
      expect(() => decodeEnvelope([...toStreamFields(base), 'priority', bad])).toThrow(
        new EnvelopeError(`priority must be a whole number from 0 to 10, got ${JSON.stringify(bad)}`),
      );
    }
  });

  it('lets later duplicate fields win, as fromStreamFields does', () => {
    const fields = [...toStreamFields(base), 'attempt', '5'];
    expect(decodeEnvelope(fields).attempt).toBe(5);
    expect(fromStreamFields(fields).attempt).toBe(5);
  });

  it('reads an empty labels object as no labels', () => {
    const fields = [...toStreamFields(base), 'labels', '{}'];
    expect(decodeEnvelope(fields)).toEqual(base);
  });

  it('refuses the malformed headers fromStreamFields refuses, with the same error', () => {
    for (const [bad, problem] of [
      ['[]', 'headers must be a JSON object'],
      ['{"n":1}', 'header values must be strings'],
      ['{', 'headers are not JSON'],
    ]) {
      const fields = [...toStreamFields(base), 'headers', bad];
      expect(() => decodeEnvelope(fields)).toThrow(new EnvelopeError(problem));
      expect(() => fromStreamFields(fields)).toThrow(new EnvelopeError(problem));
    }
  });

  it('gives a fresh headers object per message', () => {
    const fields = toStreamFields(base);
    expect(decodeEnvelope(fields).headers).not.toBe(decodeEnvelope(fields).headers);
  });

  it.each([
    ['no version', ['id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '1']],
    ['an unknown version', ['v', '2', 'id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '1']],
    ['no id', ['v', '1', 'payload', '1', 'createdAt', '1', 'attempt', '1']],
    ['no payload', ['v', '1', 'id', 'x', 'createdAt', '1', 'attempt', '1']],
    ['attempt 0', ['v', '1', 'id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '00']],
    [
      'firstAttempt above attempt',
      ['v', '1', 'id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '2', 'firstAttempt', '3'],
    ],
    [
      'firstAttempt 0',
      ['v', '1', 'id', 'x', 'payload', '1', 'createdAt', '1', 'attempt', '2', 'firstAttempt', '0'],
    ],
    ['a negative createdAt', ['v', '1', 'id', 'x', 'payload', '1', 'createdAt', '-1', 'attempt', '1']],
    [
      'headers that are not an object',
      ['v', '1', 'id', 'x', 'payload', '1', 'headers', '[]', 'createdAt', '1', 'attempt', '1'],
    ],
    ['labels that are not JSON', withLabels('tenant=acme')],
    ['labels that are not an object', withLabels('["acme"]')],
    ['a label value that is not a string', withLabels('{"n":1}')],
    ['a label key that breaks the rules', withLabels('{"Tenant":"a"}')],
    [
      'more than 16 labels',
      withLabels(JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])))),
    ],
    ['a label value over 256 bytes', withLabels(JSON.stringify({ k: 'x'.repeat(257) }))],
  ])('throws the EnvelopeError fromStreamFields throws for %s', (_, fields) => {
    expect(() => decodeEnvelope(fields)).toThrow(EnvelopeError);
    expect(() => decodeEnvelope(fields)).toThrow(
      (() => {
        try {
          fromStreamFields(fields);
        } catch (error) {
          return (error as Error).message;
        }
        return 'no error';
      })(),
    );
  });
});
