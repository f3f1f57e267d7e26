import { PayloadTooLargeError } from '../errors/payload-too-large.error.js';
import { SerializationError } from '../errors/serialization.error.js';
import { encodePayload } from './encode-payload.js';
import { JSON_CODEC } from './json.codec.js';

const MiB = 1024 * 1024;

describe('encodePayload with the JSON codec', () => {
  it('encodes JSON values verbatim', () => {
    expect(encodePayload(JSON_CODEC, { list: [], map: {}, path: 'a/b' }, MiB)).toBe(
      '{"list":[],"map":{},"path":"a/b"}',
    );
    expect(encodePayload(JSON_CODEC, null, MiB)).toBe('null');
    expect(encodePayload(JSON_CODEC, 'text', MiB)).toBe('"text"');
  });

  it('refuses circular structures, BigInt and values JSON drops', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const value of [circular, { id: 1n }, undefined, () => 1, Symbol('s')]) {
      expect(() => encodePayload(JSON_CODEC, value, MiB)).toThrow(SerializationError);
    }
    expect(() => encodePayload(JSON_CODEC, 10n, MiB)).toThrow(
      expect.objectContaining({ code: 'VQ_SERIALIZATION' }),
    );
  });

  it('enforces the byte limit in UTF-8 bytes, not characters', () => {
    expect(encodePayload(JSON_CODEC, 'x'.repeat(8), 10)).toBe('"xxxxxxxx"'); // exactly 10 bytes
    expect(() => encodePayload(JSON_CODEC, 'x'.repeat(9), 10)).toThrow(PayloadTooLargeError);
    // 'é' is one character but two bytes: 4 of them are 10 bytes with the quotes
    expect(encodePayload(JSON_CODEC, 'éééé', 10)).toBe('"éééé"');
    const error = (() => {
      try {
        encodePayload(JSON_CODEC, 'ééééé', 10);
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'VQ_PAYLOAD_TOO_LARGE', bytes: 12, limit: 10 });
  });
});

describe('encodePayload with a custom codec', () => {
  it('passes text through a pass-through codec', () => {
    const raw = { encode: (value: unknown) => value as string, decode: (text: string) => text };
    expect(encodePayload(raw, '{"n":9007199254740993}', MiB)).toBe('{"n":9007199254740993}');
  });

  it('wraps codec failures and non-string results', () => {
    const throwing = {
      encode: (): string => {
        throw new Error('nope');
      },
      decode: (text: string) => text,
    };
    expect(() => encodePayload(throwing, 1, MiB)).toThrow(/cannot be encoded: nope/);
    const numeric = { encode: () => 42 as unknown as string, decode: (text: string) => text };
    expect(() => encodePayload(numeric, 1, MiB)).toThrow(/returned number/);
  });
});
