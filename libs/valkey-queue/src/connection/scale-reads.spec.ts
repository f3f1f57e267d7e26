import type { Command, Redis } from 'ioredis';
import { scaleReadsSetting } from './scale-reads.js';

const primary = { name: 'primary' } as unknown as Redis;
const replicas = [{ name: 'replica-1' }, { name: 'replica-2' }] as unknown as Redis[];
const command = (name: string): Command => ({ name }) as Command;

describe('scaleReadsSetting', () => {
  it("keeps ioredis's 'master' as is", () => {
    expect(scaleReadsSetting('master')).toBe('master');
  });

  it.each([
    ['slave', replicas],
    ['all', [primary, ...replicas]],
  ] as const)('%s: sends monitoring reads to %j', (mode, expected) => {
    const route = scaleReadsSetting(mode) as (nodes: Redis[], command: Command) => Redis | Redis[];
    for (const name of ['xlen', 'llen', 'zcard', 'xinfo']) {
      expect(route([primary, ...replicas], command(name))).toEqual(expected);
    }
  });

  it('keeps reads that must see the latest write on the primary, and uses it when there is no replica', () => {
    const route = scaleReadsSetting('slave') as (nodes: Redis[], command: Command) => Redis | Redis[];
    for (const name of ['mget', 'exists', 'get', 'hget', 'hgetall', 'xrange', 'xpending', 'lrange']) {
      expect(route([primary, ...replicas], command(name))).toBe(primary);
    }
    expect(route([primary], command('xlen'))).toBe(primary);
  });
});
