import { deferred } from './deferred.js';

describe('deferred', () => {
  it('resolves from the outside, once', async () => {
    const result = deferred<string>();
    result.resolve('first');
    result.resolve('second');
    result.reject(new Error('too late'));

    await expect(result.promise).resolves.toBe('first');
  });

  it('rejects from the outside', async () => {
    const result = deferred();
    result.reject(new Error('boom'));

    await expect(result.promise).rejects.toThrow('boom');
  });
});
