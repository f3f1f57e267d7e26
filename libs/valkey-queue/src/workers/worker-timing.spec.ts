import { allSettledOrTimeout, bounded } from './worker-timing.js';

const timers = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

describe('bounded waits', () => {
  it('leave no timer behind when the task wins, so nothing keeps the process alive after shutdown', async () => {
    const before = timers();
    await bounded(Promise.resolve(), 60_000);
    await bounded(Promise.reject(new Error('ignored')), 60_000);
    await allSettledOrTimeout([Promise.resolve(), Promise.reject(new Error('ignored'))], 60_000);
    expect(timers()).toBe(before);
  });

  it('give up after the delay when the task does not settle', async () => {
    const never = new Promise<void>(() => undefined);
    const started = Date.now();
    await bounded(never, 20);
    await allSettledOrTimeout([never], 20);
    expect(Date.now() - started).toBeGreaterThanOrEqual(30);
  });
});
