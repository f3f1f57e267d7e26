import { isInfrastructureError, isTransientError } from './transient-errors.js';

const withCode = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
const named = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('isTransientError', () => {
  it.each([
    withCode('ECONNRESET'),
    withCode('ECONNREFUSED'),
    withCode('ETIMEDOUT'),
    withCode('EPIPE'),
    new Error('Connection is closed.'),
    new Error('Command timed out'),
    new Error("Stream isn't writeable and enableOfflineQueue options is false"),
    named('MaxRetriesPerRequestError', 'Reached the max retries per request limit (which is 2).'),
    named('ClusterAllFailedError', 'Failed to refresh slots cache.'),
    new Error('LOADING Valkey is loading the dataset in memory'),
    new Error("READONLY You can't write against a read only replica."),
    new Error('TRYAGAIN Multiple keys request during rehashing of slot'),
    new Error('CLUSTERDOWN The cluster is down'),
    new Error('MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to no'),
    new Error('BUSY Valkey is busy running a script.'),
  ])('retries %s', (error) => {
    expect(isTransientError(error)).toBe(true);
    expect(isInfrastructureError(error)).toBe(true);
  });

  it.each([
    new Error('WRONGTYPE Operation against a key holding the wrong kind of value'),
    new Error('ERR Error running script'),
    new Error('NOSCRIPT No matching script'),
    new TypeError('Converting circular structure to JSON'),
    named('AbortError', 'This operation was aborted'),
    new Error('a message that merely mentions LOADING later'),
  ])('does not retry %s', (error) => {
    expect(isTransientError(error)).toBe(false);
    expect(isInfrastructureError(error)).toBe(false);
  });

  it('ignores non-errors', () => {
    expect(isTransientError('ECONNRESET')).toBe(false);
    expect(isTransientError(undefined)).toBe(false);
  });

  it('counts a full server towards the breaker without retrying it', () => {
    const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
    expect(isTransientError(oom)).toBe(false);
    expect(isInfrastructureError(oom)).toBe(true);
  });
});
