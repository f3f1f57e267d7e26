import { ActivityFeed, ActivityLog } from './activity.log.js';

describe('ActivityLog', () => {
  it('keeps older kinds of activity while schedule ticks keep coming', () => {
    const log = new ActivityLog();
    log.record('processed', 'ada registered on attempt 1');
    for (let tick = 0; tick < 250; tick++) log.record('report', `tick ${tick}`);

    const kept = log.all();
    expect(kept.filter(({ kind }) => kind === 'processed')).toHaveLength(1);
    expect(kept.filter(({ kind }) => kind === 'report')).toHaveLength(100);
    expect(kept.at(-1)?.detail).toBe('tick 249');
  });

  it('gives the instances of a shared feed one view, each activity naming its instance', async () => {
    const feed = new ActivityFeed();
    const a = ActivityLog.sharing(feed, 'instance A');
    const b = ActivityLog.sharing(feed, 'instance B');
    a.record('session', 'took session:x');
    b.record('session', 'took over session:x');

    expect(a.all().map(({ instance, detail }) => `${instance}: ${detail}`)).toEqual([
      'instance A: took session:x',
      'instance B: took over session:x',
    ]);
    await expect(a.waitFor(({ detail }) => detail.startsWith('took over'), 100)).resolves.toMatchObject({
      instance: 'instance B',
    });
  });
});
