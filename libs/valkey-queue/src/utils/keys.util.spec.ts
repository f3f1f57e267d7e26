import { InvalidQueueNameError } from '../errors/invalid-queue-name.error.js';
import { assertQueueName, queueHashTag } from './keys.util.js';

describe('queue names and hash tags', () => {
  it('builds one hash tag per prefix and queue', () => {
    expect(queueHashTag('vq', 'orders')).toBe('{vq:orders}');
    expect(queueHashTag('billing', 'orders.eu-1:v2')).toBe('{billing:orders.eu-1:v2}');
  });

  it.each([
    [undefined, 'it must be a string'],
    [42, 'it must be a string'],
    ['', 'it must not be empty'],
    ['a'.repeat(201), 'at most 200 characters'],
    ['orders{eu}', 'must not contain { or }'],
    ['or}ders', 'must not contain { or }'],
    ['my orders', 'whitespace or control characters'],
    ['orders\n', 'whitespace or control characters'],
    ['orders\u0000', 'whitespace or control characters'],
  ])('rejects %j', (name, reason) => {
    expect(() => assertQueueName(name)).toThrow(InvalidQueueNameError);
    expect(() => assertQueueName(name)).toThrow(reason);
  });

  it('accepts unicode and punctuation that keys can carry', () => {
    expect(() => assertQueueName('bestellungen-ä/ß:1')).not.toThrow();
  });
});
