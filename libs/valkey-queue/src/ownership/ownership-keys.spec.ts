import { ownershipKeys } from '../utils/keys.util.js';

describe('ownershipKeys', () => {
  it('puts every key of one service under the hash tag {<prefix>:own:<service>}', () => {
    const keys = ownershipKeys('vq', 'sessions');
    expect(keys.tag).toBe('{vq:own:sessions}');
    expect([
      keys.lbs,
      keys.lbsDead,
      keys.assignments,
      keys.handBackChannel,
      keys.lease('user:7'),
      keys.fence('user:7'),
      keys.assignment('user:7'),
    ]).toEqual([
      '{vq:own:sessions}:lbs',
      '{vq:own:sessions}:lbs:dead',
      '{vq:own:sessions}:assignments',
      '{vq:own:sessions}:handed-back',
      '{vq:own:sessions}:lease:user:7',
      '{vq:own:sessions}:fence:user:7',
      '{vq:own:sessions}:assignment:user:7',
    ]);
  });

  it('keeps a data stream name with braces out of the hash tag (the first {...} decides the slot)', () => {
    expect(ownershipKeys('app', 's').lease('{x}')).toBe('{app:own:s}:lease:{x}');
  });
});
