import { invalidUtf8Reason, mayHoldInvalidUtf8, suspectEntryIds } from './utf8.util.js';

const NOT_UTF8 = Buffer.from([0x61, 0xff, 0x62]);

describe('UTF-8 checks of stored values', () => {
  it('suspects only strings holding U+FFFD, which is what a decoder puts for invalid bytes', () => {
    expect(mayHoldInvalidUtf8(['v', '1', 'payload', '{"é":"😀"}'])).toBe(false);
    expect(mayHoldInvalidUtf8(['payload', NOT_UTF8.toString('utf8')])).toBe(true);
    expect(
      suspectEntryIds([
        ['1-0', ['payload', '"ok"']],
        ['2-0', ['payload', NOT_UTF8.toString('utf8')]],
        ['3-0', null],
      ]),
    ).toEqual(['2-0']);
  });

  it('names the first field whose stored bytes are not UTF-8; a real U+FFFD is valid', () => {
    const field = (name: string | Buffer, value: string | Buffer) => [Buffer.from(name), Buffer.from(value)];
    expect(invalidUtf8Reason([...field('id', 'a'), ...field('payload', '"\uFFFD"')])).toBeUndefined();
    expect(invalidUtf8Reason([...field('id', 'a'), ...field('headers', NOT_UTF8)])).toBe(
      "field 'headers' is not valid UTF-8",
    );
    expect(invalidUtf8Reason(field(NOT_UTF8, 'value'))).toBe('a field name is not valid UTF-8');
  });
});
