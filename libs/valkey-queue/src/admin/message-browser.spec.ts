import { encodeDelayedBody } from '../envelope/delayed-body.js';
import { compareEntryIds, decodeBody, decodeMessage, uuidV7Time } from './message-browser.js';

describe('message browser helpers', () => {
  const fields = [
    'v',
    '1',
    'id',
    'm-1',
    'payload',
    '{"é":"ü"}',
    'headers',
    '{"h":"1"}',
    'createdAt',
    '5',
    'attempt',
    '2',
  ];

  it('decodes a delayed body split by UTF-8 byte lengths, and a list element', () => {
    expect(decodeBody(encodeDelayedBody(fields))).toMatchObject({
      id: 'm-1',
      payload: { é: 'ü' },
      attempt: 2,
    });
    const element = JSON.stringify({
      v: '1',
      id: 'm-2',
      payload: '{"a":1}',
      headers: {},
      createdAt: 1,
      attempt: 1,
    });
    expect(decodeBody(element)).toMatchObject({ id: 'm-2', payload: { a: 1 } });
  });

  it('never throws on entries that are not envelopes: they keep their raw fields', () => {
    expect(decodeMessage(['junk', '<b>x</b>'])).toMatchObject({ attempt: 1, raw: { junk: '<b>x</b>' } });
    expect(decodeBody('12:short')).toMatchObject({ raw: { raw: '12:short' } });
  });

  it('orders stream entry ids numerically', () => {
    expect(compareEntryIds('9-0', '10-0')).toBe(-1);
    expect(compareEntryIds('10-2', '10-10')).toBe(-1);
    expect(compareEntryIds('10-1', '10-1')).toBe(0);
    expect(compareEntryIds('11-0', '10-99')).toBe(1);
  });

  it('reads the time of a UUIDv7 and nothing from other ids', () => {
    expect(uuidV7Time('01a2511f-3ea7-76f5-b3e8-4e3526bd17e3')).toBe(0x01a2511f3ea7);
    expect(uuidV7Time('6f1c1f0e-5d6b-4b8e-9f0e-2d1c1f0e5d6b')).toBeUndefined();
    expect(uuidV7Time('report:1700000000000')).toBeUndefined();
  });
});
