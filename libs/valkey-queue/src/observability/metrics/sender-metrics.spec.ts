import { InvalidQueueNameError } from '../../errors/invalid-queue-name.error.js';
import { MAX_METRIC_QUEUES, OTHER_QUEUE, SenderMetrics } from './sender-metrics.js';

describe('SenderMetrics', () => {
  it('counts per queue and failed calls per error code', () => {
    const metrics = new SenderMetrics();
    metrics.sent('orders', 3);
    metrics.sent('orders', 1);
    metrics.deduplicated('orders');
    metrics.retried('emails', 2);
    metrics.rejected('emails');
    metrics.error('emails', new InvalidQueueNameError('x y', 'bad'));
    metrics.error('emails', new Error('plain'));
    metrics.error('emails', new Error('plain'));

    const cells = new Map(metrics.entries());
    expect(cells.get('orders')).toMatchObject({
      sent: { value: 4 },
      deduplicated: { value: 1 },
      retried: { value: 0 },
    });
    expect(cells.get('emails')).toMatchObject({ retried: { value: 2 }, rejected: { value: 1 } });
    expect(
      Object.fromEntries([...cells.get('emails')!.errors].map(([code, cell]) => [code, cell.value])),
    ).toEqual({ VQ_INVALID_QUEUE_NAME: 1, UNKNOWN: 2 });
    expect([...metrics.queueNames()]).toEqual(['orders', 'emails']);
  });

  it(`gives queues past ${MAX_METRIC_QUEUES} one shared series, so caller-chosen names cannot explode it`, () => {
    const metrics = new SenderMetrics();
    for (let index = 0; index < MAX_METRIC_QUEUES + 5; index++) metrics.sent(`q${index}`, 1);

    const cells = new Map(metrics.entries());
    expect(cells.size).toBe(MAX_METRIC_QUEUES + 1);
    expect(cells.get(OTHER_QUEUE)?.sent.value).toBe(5);
    expect([...metrics.queueNames()]).toHaveLength(MAX_METRIC_QUEUES);
  });
});
