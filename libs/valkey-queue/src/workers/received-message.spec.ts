import type { Envelope } from '../envelope/envelope.js';
import { ReceivedDeadMessage, ReceivedMessage } from './received-message.js';

const envelope: Envelope = {
  id: 'm-1',
  payload: '{"n":1}',
  headers: { trace: 't' },
  attempt: 1,
  createdAt: 1_764_143_011_120,
};
const message = (overrides: Partial<Envelope> = {}) =>
  new ReceivedMessage({ ...envelope, ...overrides }, 'orders', { n: 1 }, 2, '1-0');

describe('ReceivedMessage', () => {
  it('exposes the message fields, with dates and the effective attempt', () => {
    expect(message()).toMatchObject({
      id: 'm-1',
      queue: 'orders',
      payload: { n: 1 },
      headers: { trace: 't' },
      attempt: 2,
      entryId: '1-0',
    });
    expect(message().createdAt).toEqual(new Date(1_764_143_011_120));
    expect(message().expiresAt).toBeUndefined();
    expect(message({ expiresAt: 5 }).expiresAt).toEqual(new Date(5));
  });

  it('creates its signal lazily; aborting before or after the first read both work, first reason wins', () => {
    const early = message();
    early.abort('timeout');
    early.abort('shutdown');
    expect(early.signal.aborted).toBe(true);
    expect(early.signal.reason).toBe('timeout');

    const late = message();
    const { signal } = late;
    expect(signal.aborted).toBe(false);
    late.abort('shutdown');
    expect(signal.aborted).toBe(true);
    expect(late.signal).toBe(signal);
  });

  it('serializes to a plain object without the signal', () => {
    expect(JSON.parse(JSON.stringify(message()))).toEqual({
      id: 'm-1',
      queue: 'orders',
      payload: { n: 1 },
      headers: { trace: 't' },
      labels: {},
      priority: 0,
      attempt: 2,
      entryId: '1-0',
      createdAt: new Date(1_764_143_011_120).toISOString(),
    });
  });

  it('exposes labels, and a frozen empty object when the message has none', () => {
    expect(message({ labels: { tenant: 'acme' } }).labels).toEqual({ tenant: 'acme' });
    expect(message().labels).toEqual({});
    expect(Object.isFrozen(message().labels)).toBe(true);
  });

  it('a dead message adds attempts and the error', () => {
    const error = new Error('x');
    expect(new ReceivedDeadMessage(envelope, 'orders', 1, 3, '1-0', 3, error)).toMatchObject({
      id: 'm-1',
      attempts: 3,
      error,
    });
  });
});
