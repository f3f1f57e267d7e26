import { toQueueStats, type RawQueueStats } from './queue-stats.parser.js';

const raw = (overrides: Partial<RawQueueStats>): RawQueueStats => ({
  queue: 'q',
  streamLength: 0,
  groups: [],
  deadLetters: 0,
  counters: {},
  delayed: 0,
  paused: false,
  listLength: 0,
  ...overrides,
});
const group = (name: string, consumers: number, pending: number, lag: number | null) => [
  'name',
  name,
  'consumers',
  consumers,
  'pending',
  pending,
  'last-delivered-id',
  '5-0',
  'entries-read',
  5,
  'lag',
  lag,
];

describe('toQueueStats', () => {
  it('uses the stream length as length without a group', () => {
    expect(toQueueStats(raw({ streamLength: 7, listLength: 2 }))).toMatchObject({ length: 9, lag: 0 });
  });

  it('sums pending and consumers and takes the largest lag', () => {
    const stats = toQueueStats(raw({ streamLength: 10, groups: [group('a', 2, 3, 1), group('b', 1, 1, 4)] }));
    expect(stats).toMatchObject({ length: 4, lag: 4, pending: 4, consumers: 3 });
  });

  it('estimates a nil lag as stream length minus pending, never below 0', () => {
    expect(toQueueStats(raw({ streamLength: 10, groups: [group('a', 1, 4, null)] })).groups[0]).toMatchObject(
      {
        lag: 6,
        lagEstimated: true,
      },
    );
    expect(toQueueStats(raw({ streamLength: 1, groups: [group('a', 1, 4, null)] })).lag).toBe(0);
  });

  it('reads counters, treating missing or invalid ones as 0', () => {
    const stats = toQueueStats(
      raw({ counters: { processed: '12', failed: 'x', redriven: '3', other: '9' } }),
    );
    expect(stats).toMatchObject({ processed: 12, failed: 0, redriven: 3, dead: 0 });
    expect(stats).not.toHaveProperty('other');
  });
});
