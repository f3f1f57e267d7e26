import { queueKeys } from '../utils/keys.util.js';
import { redriveDestination, redriveElement } from './redrive-mover.js';

const keys = queueKeys('vq', 'orders');
const envelope = ['v', '1', 'id', 'm-1', 'payload', '{"a":[]}', 'headers', '{"t":"x"}', 'createdAt', '100'];
const deadFields = (sourceId?: string): string[] => [
  ...envelope,
  'attempt',
  '4',
  'reason',
  'dead',
  'error',
  'boom',
  'attempts',
  '4',
  'failedAt',
  '200',
  ...(sourceId === undefined ? [] : ['sourceId', sourceId]),
];

describe('redrive destination', () => {
  it('sends a dead letter back to the transport it came from (its sourceId)', () => {
    expect(redriveDestination(deadFields('1764143011123-0'), keys, undefined, false)).toEqual({
      transport: 'stream',
    });
    expect(redriveDestination(deadFields(), keys, undefined, false)).toEqual({ transport: 'stream' });
    expect(redriveDestination(deadFields('{vq:orders}:list'), keys, undefined, false)).toEqual({
      transport: 'list',
      key: '{vq:orders}:list',
    });
    expect(redriveDestination(deadFields('queue:orders'), keys, undefined, false)).toEqual({
      transport: 'list',
      key: 'queue:orders',
    });
  });

  it('follows an explicit transport (the key layout keys)', () => {
    expect(redriveDestination(deadFields('queue:orders'), keys, 'stream', false)).toEqual({
      transport: 'stream',
    });
    expect(redriveDestination(deadFields('1-0'), keys, 'list', true)).toEqual({
      transport: 'list',
      key: '{vq:orders}:list',
    });
  });

  it('leaves in place what cannot go back: no envelope, or a list key outside the slot on Cluster', () => {
    expect(redriveDestination(['raw', 'x', 'reason', 'broken'], keys, undefined, false)).toBeUndefined();
    expect(redriveDestination(['raw', 'x'], keys, 'list', false)).toBeUndefined();
    expect(redriveDestination(deadFields('queue:orders'), keys, undefined, true)).toBeUndefined();
    expect(redriveDestination(deadFields('queue:{vq:orders}'), keys, undefined, true)).toEqual({
      transport: 'list',
      key: 'queue:{vq:orders}',
    });
  });
});

describe('redrive element', () => {
  it('is the envelope with attempt 1, without the dead-letter fields, payload text unchanged', () => {
    const fields = [...deadFields('queue:orders'), 'stack', 'S', 'firstAttempt', '2'];
    expect(JSON.parse(redriveElement(fields, 1_000))).toEqual({
      v: '1',
      id: 'm-1',
      payload: '{"a":[]}',
      headers: { t: 'x' },
      createdAt: 100,
      attempt: 1,
    });
  });

  it('keeps labels as an object, and malformed labels as stored (broken again, not rewritten)', () => {
    const labelled = JSON.parse(
      redriveElement([...envelope, 'labels', '{"tenant":"acme"}'], 1_000),
    ) as object;
    expect(labelled).toHaveProperty('labels', { tenant: 'acme' });
    const malformed = JSON.parse(redriveElement([...envelope, 'labels', 'tenant=acme'], 1_000)) as object;
    expect(malformed).toHaveProperty('labels', 'tenant=acme');
  });

  it('drops an expiresAt already past, keeps one ahead, and adds a missing attempt', () => {
    const past = JSON.parse(redriveElement([...envelope, 'expiresAt', '999'], 1_000)) as object;
    expect(past).not.toHaveProperty('expiresAt');
    expect(past).toHaveProperty('attempt', 1);
    const ahead = JSON.parse(redriveElement([...envelope, 'expiresAt', '5000'], 1_000)) as object;
    expect(ahead).toHaveProperty('expiresAt', 5000);
  });
});
