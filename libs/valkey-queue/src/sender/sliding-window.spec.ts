import { SlidingWindow } from './sliding-window.js';

describe('SlidingWindow', () => {
  let clock: number;
  const window = (): SlidingWindow => new SlidingWindow(60_000, 60, () => clock);
  beforeEach(() => {
    clock = 1_700_000_000_000;
  });

  it('reports 0 with no calls', () => {
    expect(window().errorRatio()).toBe(0);
  });

  it('computes the failure ratio of the calls in the window', () => {
    const counts = window();
    counts.record(true, 3);
    counts.record(false);
    expect(counts.totals()).toEqual({ successes: 3, failures: 1 });
    expect(counts.errorRatio()).toBe(0.25);
  });

  it('forgets outcomes once they leave the window', () => {
    const counts = window();
    counts.record(false, 10);
    clock += 30_000;
    counts.record(true, 10);
    expect(counts.errorRatio()).toBe(0.5);
    clock += 30_500; // the failures are now older than 60 s
    expect(counts.totals()).toEqual({ successes: 10, failures: 0 });
    expect(counts.errorRatio()).toBe(0);
    clock += 60_000;
    expect(counts.totals()).toEqual({ successes: 0, failures: 0 });
  });

  it('resets a reused bucket slot instead of adding to its old counts', () => {
    const counts = window();
    counts.record(false, 5);
    clock += 60_000; // same slot, one full window later
    counts.record(true);
    expect(counts.totals()).toEqual({ successes: 1, failures: 0 });
  });

  it('works with windows shorter than the bucket count', () => {
    const counts = new SlidingWindow(10, 60, () => clock);
    counts.record(false);
    clock += 5;
    counts.record(true);
    expect(counts.errorRatio()).toBe(0.5);
    clock += 100;
    expect(counts.errorRatio()).toBe(0);
  });
});
