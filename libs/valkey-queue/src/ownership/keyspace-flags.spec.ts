import { escapeGlob, planKeyspaceFlags } from './keyspace-flags.js';

describe('planKeyspaceFlags', () => {
  it.each([
    ['', { update: 'Kx', channel: 'keyspace' }],
    ['Ex', { channel: 'keyevent' }],
    ['E', { update: 'Ex', channel: 'keyevent' }],
    ['KEA', { channel: 'keyspace' }],
    ['Kx', { channel: 'keyspace' }],
    ['Elg', { update: 'Elgx', channel: 'keyevent' }],
    ['gK', { update: 'gKx', channel: 'keyspace' }],
    ['A', { update: 'AK', channel: 'keyspace' }],
    ['xg', { update: 'xgK', channel: 'keyspace' }],
  ])('%j -> %j (existing flags kept)', (current, plan) => {
    expect(planKeyspaceFlags(current)).toEqual(plan);
  });
});

describe('escapeGlob', () => {
  it('escapes the characters PSUBSCRIBE treats as a pattern', () => {
    expect(escapeGlob('{vq:own:a*b?[c]\\}')).toBe('{vq:own:a\\*b\\?\\[c\\]\\\\}');
  });
});
