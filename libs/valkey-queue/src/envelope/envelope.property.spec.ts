import fc from 'fast-check';
import { EnvelopeError, fromStreamFields, toListElement, toStreamFields, type Envelope } from './envelope.js';
import { fromListElement, listElementFields } from './list-element.js';

/** Fixed, so a failure is the same on every run (fast-check prints it to reproduce). */
const SEED = 20;

const count = (min: number) => fc.integer({ min, max: Number.MAX_SAFE_INTEGER });
const envelope: fc.Arbitrary<Envelope> = fc
  .record(
    {
      id: fc.string({ minLength: 1 }),
      payload: fc.string(),
      headers: fc.dictionary(fc.string(), fc.string()),
      createdAt: count(0),
      attempt: count(1),
      expiresAt: count(0),
      dedupKey: fc.string(),
    },
    { requiredKeys: ['id', 'payload', 'headers', 'createdAt', 'attempt'] },
  )
  .map((candidate) => ({ ...candidate }));

/** Throws only the typed error, or not at all. */
const onlyEnvelopeErrors = (read: () => unknown): boolean => {
  try {
    read();
    return true;
  } catch (error) {
    return error instanceof EnvelopeError;
  }
};

describe('envelope decoding (properties)', () => {
  it('any fields at all: a stream entry decodes or fails with EnvelopeError, never anything else', () => {
    const field = fc.oneof(
      fc.constantFrom(
        'v',
        'id',
        'payload',
        'headers',
        'createdAt',
        'attempt',
        'firstAttempt',
        'expiresAt',
        'labels',
      ),
      fc.string(),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(field, fc.string())), (pairs) =>
        onlyEnvelopeErrors(() => fromStreamFields(pairs.flat())),
      ),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('any text at all: a list element (read as workers read it) decodes or fails with EnvelopeError', () => {
    const element = fc.oneof(
      fc.string(),
      fc.json(),
      fc.object().map((value) => JSON.stringify(value)),
      fc.object().map((value) => JSON.stringify({ v: '1', ...value })),
    );
    fc.assert(
      fc.property(element, (text) => onlyEnvelopeErrors(() => fromStreamFields(listElementFields(text)))),
      { seed: SEED, numRuns: 2_000 },
    );
  });

  it('what this library writes reads back the same, on both transports', () => {
    fc.assert(
      fc.property(envelope, (written) => {
        expect(fromStreamFields(toStreamFields(written))).toEqual(written);
        expect(fromListElement(toListElement(written))).toEqual(written);
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });

  it('a numeric field that is not a whole number in range is refused, never read as a number', () => {
    const notACount = fc
      .string()
      .filter((text) => !/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1);
    fc.assert(
      fc.property(fc.constantFrom('attempt', 'createdAt', 'expiresAt'), notACount, (field, value) => {
        const fields = toStreamFields({ id: 'x', payload: '1', headers: {}, createdAt: 1, attempt: 1 });
        const record = new Map<string, string>();
        for (let index = 0; index < fields.length; index += 2) record.set(fields[index], fields[index + 1]);
        record.set(field, value);
        const read = () => fromStreamFields([...record].flat());
        // createdAt and expiresAt may be 0; attempt may not.
        if (field !== 'attempt' && value === '0') return true;
        expect(read).toThrow(EnvelopeError);
        return true;
      }),
      { seed: SEED, numRuns: 1_000 },
    );
  });
});
