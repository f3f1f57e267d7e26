import { ConnectionError } from './connection.error.js';
import { REDACTED, redactCredentials } from './redact-credentials.js';

/** A reply error as ioredis builds it: the failed command attached. */
const replyError = (name: string, args: string[]): Error =>
  Object.assign(new Error('WRONGPASS invalid username-password pair'), { command: { name, args } });

describe('redactCredentials', () => {
  it('blanks the arguments of HELLO ... AUTH and AUTH along the cause chain', () => {
    const hello = replyError('hello', ['3', 'AUTH', 'default', 'hunter2']);
    const auth = replyError('auth', ['user', 'hunter2']);
    const outer = new Error('outer', { cause: new Error('middle', { cause: hello }) });
    redactCredentials(outer);
    redactCredentials(auth);
    expect((hello as unknown as { command: { args: string[] } }).command.args).toEqual([
      REDACTED,
      REDACTED,
      REDACTED,
      REDACTED,
    ]);
    expect((auth as unknown as { command: { args: string[] } }).command.args).toEqual([REDACTED, REDACTED]);
  });

  it('leaves other commands and non-errors alone', () => {
    const get = replyError('get', ['some-key']);
    redactCredentials(get);
    redactCredentials(undefined);
    redactCredentials('text');
    expect((get as unknown as { command: { args: string[] } }).command.args).toEqual(['some-key']);
  });

  it('runs for every error of this library that wraps one (a WRONGPASS cause never shows the password)', () => {
    const cause = replyError('HELLO', ['3', 'AUTH', 'default', 'hunter2']);
    const error = new ConnectionError('redis://127.0.0.1:6379/0', 'WRONGPASS', { cause });
    expect(JSON.stringify((error.cause as { command: unknown }).command)).not.toContain('hunter2');
  });
});
