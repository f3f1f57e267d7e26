import { WriterPacing } from './writer-pacing.js';

describe('WriterPacing', () => {
  const backlogOf = (events: number) => () => Promise.resolve(events);
  const entries =
    (count = 0) =>
    () =>
      Promise.resolve(count);
  const pacing = (busy: number, working = false) =>
    new WriterPacing(
      1_000,
      5_000,
      () => working,
      () => busy,
    );

  it('writes at once while the event loop has room', async () => {
    const idle = pacing(0.2);
    idle.rest(0);
    expect(await idle.defer(entries(), backlogOf(10), 200)).toBe(false);
  });

  it('puts writing off while the event loop was busy over the rest and the backlog is small', async () => {
    const busy = pacing(0.9);
    busy.rest(0);
    expect(await busy.defer(entries(), backlogOf(10), 200)).toBe(true);
  });

  it('puts writing off while the workers have handler calls in flight, however idle the event loop looks', async () => {
    const working = pacing(0.05, true);
    working.rest(0);
    expect(await working.defer(entries(), backlogOf(10), 200)).toBe(true);
  });

  it('puts writing off while history entries keep arriving, however idle this process looks', async () => {
    const idle = pacing(0.05);
    idle.rest(0);
    expect(await idle.defer(entries(10), backlogOf(10), 200)).toBe(false);
    idle.rest(200);
    expect(await idle.defer(entries(200), backlogOf(100), 400)).toBe(true); // 190 new entries
    idle.rest(400);
    expect(await idle.defer(entries(210), backlogOf(100), 600)).toBe(false); // 10: a trickle
  });

  it('writes once the backlog reaches its bound', async () => {
    const busy = pacing(0.9);
    busy.rest(0);
    expect(await busy.defer(entries(), backlogOf(1_000), 200)).toBe(false);
  });

  it('writes once it has put off for maxLagMs in a row', async () => {
    const busy = pacing(0.9);
    let now = 0;
    const rounds: boolean[] = [];
    for (let round = 0; round < 30; round += 1) {
      busy.rest(now);
      now += 200;
      rounds.push(await busy.defer(entries(), backlogOf(10), now));
    }
    // Deferred from 200 ms on; at 5 200 ms it writes, then may defer again.
    expect(rounds.slice(0, 25).every(Boolean)).toBe(true);
    expect(rounds[25]).toBe(false);
  });

  it('does not judge the app by a window in which the writer itself worked', async () => {
    const busy = pacing(0.9);
    expect(await busy.defer(entries(), backlogOf(10), 0)).toBe(false); // never rested
    busy.rest(0);
    expect(await busy.defer(entries(), backlogOf(10), 10)).toBe(false); // too short to tell
  });
});
