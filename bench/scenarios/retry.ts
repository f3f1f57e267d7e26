import { prefilledBullWorker } from '../contenders/bullmq-worker.contender.js';
import { prefilledQueueWorker } from '../contenders/queue-worker.contender.js';
import { defineScenario } from '../scenario.js';

/**
 * The failure path: `size` messages pre-filled, concurrency 100, and the handler of every tenth
 * message throws on its first attempt. Timed until every message has succeeded, retries included.
 * Both libraries retry at once (no backoff), so what is measured is the cost of a failure: the
 * atomic ack + re-schedule and the way back to a worker.
 */

const CONCURRENCY = 100;
/** Every tenth message fails once (by its position in the payload, so both libraries fail the same ones). */
const failsFirst = (payload: unknown): boolean => (payload as { orderId: number }).orderId % 10 === 0;

export default defineScenario({
  id: 'retry-10pct',
  title: `failure path: 10% of handlers throw once, concurrency ${CONCURRENCY}`,
  size: (quick) => (quick ? 5_000 : 50_000),
  contenders: [
    prefilledQueueWorker(
      CONCURRENCY,
      (message) => {
        if (message.attempt === 1 && failsFirst(message.payload)) throw new Error('fails once');
      },
      { maxRetries: 1, backoff: 0 },
    ),
    prefilledBullWorker(
      CONCURRENCY,
      async (job) => {
        if (job.attemptsMade === 0 && failsFirst(job.data)) throw new Error('fails once');
      },
      { attempts: 2 },
    ),
  ],
  ratios: [
    { of: '@QueueWorker', to: 'BullMQ Worker' },
    { of: '@QueueWorker', to: 'BullMQ Worker', metric: 'commands' },
  ],
  notes:
    'A failed @QueueWorker attempt is acked and re-scheduled in one script into the delayed set, and promoted ' +
    'back to the stream by the promoter (one mechanism for retries, delays and schedules); BullMQ moves the ' +
    'job back to wait in its moveToFinished script (attempts: 2, no backoff).',
});
