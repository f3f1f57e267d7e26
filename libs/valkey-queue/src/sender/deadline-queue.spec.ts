import { jest } from '@jest/globals';
import { TimeoutError } from '../utils/with-timeout.util.js';
import { CallDeadline, sendDeadlines } from './call-deadline.js';
import { DeadlineQueue } from './deadline-queue.js';

/** The queue's Node timer, to see whether it holds the process open. */
const timerOf = <T>(queue: DeadlineQueue<T>): NodeJS.Timeout | undefined =>
  (queue as unknown as { timer: NodeJS.Timeout | undefined }).timer;

describe('DeadlineQueue', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('expires each deadline once its own duration passed, never early, in start order', () => {
    const expired: string[] = [];
    const queue = new DeadlineQueue<string>(100, (target) => expired.push(target));
    queue.add('a');
    jest.advanceTimersByTime(40);
    queue.add('b');
    jest.advanceTimersByTime(59);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(39);
    expect(expired).toEqual(['a']);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['a', 'b']);
    expect(queue.size).toBe(0);
  });

  it('still fires a deadline started after an earlier one was cancelled', () => {
    const expired: string[] = [];
    const queue = new DeadlineQueue<string>(100, (target) => expired.push(target));
    const first = queue.add('first');
    jest.advanceTimersByTime(30);
    queue.cancel(first);
    queue.add('second');
    jest.advanceTimersByTime(99); // the timer armed for 'first' fires for nothing, and re-arms
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(expired).toEqual(['second']);
  });

  it('never expires a cancelled deadline, also one between pending ones', () => {
    const expired: string[] = [];
    const queue = new DeadlineQueue<string>(10, (target) => expired.push(target));
    queue.add('a');
    const middle = queue.add('b');
    queue.add('c');
    queue.cancel(middle);
    queue.cancel(middle);
    jest.advanceTimersByTime(10);
    expect(expired).toEqual(['a', 'c']);
  });

  it('holds the process open exactly while a deadline is pending, and drops its timer once idle', () => {
    const idle = jest.fn();
    const queue = new DeadlineQueue<string>(50, () => undefined, idle);
    const entry = queue.add('a');
    expect(timerOf(queue)?.hasRef()).toBe(true);
    queue.cancel(entry);
    expect(timerOf(queue)?.hasRef()).toBe(false);
    queue.add('b');
    expect(timerOf(queue)?.hasRef()).toBe(true);
    jest.advanceTimersByTime(50);
    expect(queue.armed).toBe(false);
    expect(idle).toHaveBeenCalledTimes(1);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe('CallDeadline on the shared deadline queues', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => {
    // The queues are shared by the module: let every fake timer fire, so none outlives the test.
    jest.runOnlyPendingTimers();
    expect(jest.getTimerCount()).toBe(0);
    jest.useRealTimers();
  });

  const never = (): Promise<never> => new Promise<never>(() => undefined);

  it('rejects a call still running when its timeout passes', async () => {
    const deadline = new CallDeadline(200, () => "Sending to queue 'orders'");
    const outcome = deadline.race(never()).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    jest.advanceTimersByTime(199);
    expect(deadline.expired).toBe(false);
    jest.advanceTimersByTime(1);
    const error = await outcome;
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toBe("Sending to queue 'orders' did not finish within 200 ms");
    deadline.dispose();
  });

  it("rejects with the signal's reason when the caller aborts", async () => {
    const controller = new AbortController();
    const deadline = new CallDeadline(10_000, () => 'Sending', controller.signal);
    const outcome = deadline.race(never()).catch((error: unknown) => error);
    const reason = new Error('changed my mind');
    controller.abort(reason);
    await expect(outcome).resolves.toBe(reason);
    deadline.dispose();
  });

  it('leaves nothing armed or referenced once every call settled', async () => {
    const deadlines = Array.from({ length: 3 }, () => new CallDeadline(300, () => 'Sending'));
    await Promise.all(deadlines.map((deadline) => deadline.race(Promise.resolve(1))));
    const queue = sendDeadlines(300)!;
    expect(queue.size).toBe(3);
    for (const deadline of deadlines) deadline.dispose();
    expect(queue.size).toBe(0);
    expect(timerOf(queue)?.hasRef()).toBe(false);
    jest.advanceTimersByTime(300);
    expect(deadlines.some((deadline) => deadline.expired)).toBe(false);
    expect(sendDeadlines(300)).toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });
});
