import { decodeStoredBody } from './ordered-body.js';

/** A body in the stored format: `<byte length>:<value>` per field. */
const stored = (...fields: (string | Buffer)[]): Buffer =>
  Buffer.concat(
    fields.flatMap((field) => {
      const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
      return [Buffer.from(`${bytes.length}:`, 'latin1'), bytes];
    }),
  );

describe('decodeStoredBody', () => {
  it('splits an ASCII body by its lengths, values holding colons and digits included', () => {
    expect(decodeStoredBody(stored('id', 'a:1', 'payload', '{"n":12}', 'empty', ''))).toEqual({
      fields: ['id', 'a:1', 'payload', '{"n":12}', 'empty', ''],
    });
    expect(decodeStoredBody(Buffer.alloc(0))).toEqual({ fields: [] });
  });

  it('splits a UTF-8 body by byte lengths, not characters', () => {
    expect(decodeStoredBody(stored('payload', '"çé→😀"', 'id', '1'))).toEqual({
      fields: ['payload', '"çé→😀"', 'id', '1'],
    });
  });

  it('says which field is not UTF-8', () => {
    const { invalid } = decodeStoredBody(stored('id', '1', 'payload', Buffer.from([0xff, 0xfe])));
    expect(invalid).toBe("field 'payload' is not valid UTF-8");
  });

  it('finds malformed bodies, ASCII or not', () => {
    const malformed = { fields: [], invalid: 'the stored body is malformed' };
    for (const body of ['5:abc', 'x:abc', '3abc', '-1:', '2:id', '2:id1:1extra']) {
      expect(decodeStoredBody(Buffer.from(body, 'latin1'))).toEqual(malformed);
      expect(decodeStoredBody(Buffer.concat([Buffer.from(body, 'latin1'), Buffer.from('é')]))).toEqual(
        malformed,
      );
    }
  });
});
