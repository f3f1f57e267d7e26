import { InvalidAssignmentInfoError, InvalidStreamNameError } from '../errors/index.js';
import { assertStreamName, decodeInfo, encodeInfo, parseLbsEntry } from './lbs-entry.js';

describe('LBS entries', () => {
  it('parses stream and info, keeping the info JSON intact', () => {
    expect(parseLbsEntry(['stream', 'session:1', 'info', '{"user":42,"tags":[]}'])).toEqual({
      stream: 'session:1',
      info: { user: 42, tags: [] },
    });
    expect(parseLbsEntry(['stream', 'session:{2}'])).toEqual({ stream: 'session:{2}', info: {} });
  });

  it.each([
    [['info', '{}'], 'no stream field'],
    [['stream', '', 'info', '{}'], 'must not be empty'],
    [['stream', 'a\nb'], 'control characters'],
    [['stream', 's', 'info', '{oops'], 'not valid JSON'],
    [['stream', 's', 'info', '[1]'], 'not a JSON object'],
    [['stream', 's', 'info', 'null'], 'not a JSON object'],
  ])('reports %j as malformed (%s)', (fields, reason) => {
    const parsed = parseLbsEntry(fields);
    expect('error' in parsed && parsed.error).toContain(reason);
  });

  it('validates stream names with a typed error', () => {
    expect(() => assertStreamName(42)).toThrow(InvalidStreamNameError);
    expect(() => assertStreamName('x'.repeat(513))).toThrow('at most 512');
    expect(() => assertStreamName('user 7 / session {a}')).not.toThrow();
  });

  it('encodes info as JSON and rejects what cannot be stored', () => {
    expect(encodeInfo('s', undefined)).toBe('{}');
    expect(encodeInfo('s', { n: 1 })).toBe('{"n":1}');
    expect(() => encodeInfo('s', [1])).toThrow(InvalidAssignmentInfoError);
    expect(() => encodeInfo('s', { big: 1n })).toThrow('cannot be encoded as JSON');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => encodeInfo('s', circular)).toThrow(InvalidAssignmentInfoError);
    expect(() => encodeInfo('s', { text: 'x'.repeat(70_000) })).toThrow('larger than');
  });

  it('decodes stored info leniently', () => {
    expect(decodeInfo('{"a":1}')).toEqual({ a: 1 });
    expect(decodeInfo(null)).toEqual({});
    expect(decodeInfo('[')).toEqual({});
  });
});
