import { randomUUID } from 'node:crypto';
import { OnMessage, QueueSender, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { useValkey } from '../utils/use-valkey.js';
import { waitFor } from '../workers/worker-test-kit.js';
import { startDashboardApp, type DashboardApp } from './dashboard-app.js';

const queue = `dash-ordered-${randomUUID()}`;
const handled: number[] = [];

@QueueWorker(queue, { maxRetries: 0, orderedOnDead: 'park' })
class ParkingWorker {
  @OnMessage() handle(msg: QueueMessage<{ seq: number }>): void {
    if (msg.payload.seq === 0) throw new Error('poison');
    handled.push(msg.payload.seq);
  }
}

const post = (url: string, body: unknown) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-vq-csrf': '1' },
    body: JSON.stringify(body),
  });

describe('dashboard: ordering keys parked by a dead message (real Valkey)', () => {
  const valkey = useValkey();
  let dash: DashboardApp;

  beforeAll(async () => {
    dash = await startDashboardApp('express', valkey().connection, { providers: [ParkingWorker] });
  });
  afterAll(async () => {
    await dash?.close();
  });

  it('lists a parked key on the queue page and releases it; the key then runs on', async () => {
    const sender = dash.app.get(QueueSender);
    await sender.send(queue, { seq: 0 }, { orderingKey: 'account:7' });
    await sender.send(queue, { seq: 1 }, { orderingKey: 'account:7' });
    let parked: { orderingKey: string; parkedAt: string }[] = [];
    await waitFor(async () => {
      const detail = (await (await fetch(`${dash.api}/queues/${queue}`)).json()) as {
        parkedOrderingKeys: { orderingKey: string; parkedAt: string }[];
      };
      parked = detail.parkedOrderingKeys;
      return parked.length === 1;
    }, 'the key parked');
    expect(parked).toEqual([{ orderingKey: 'account:7', parkedAt: expect.any(String) }]);
    expect(handled).toEqual([]); // held behind the dead message

    const bad = await post(`${dash.api}/queues/${queue}/ordering/release`, { key: '' });
    expect({ status: bad.status, field: ((await bad.json()) as { field: string }).field }).toEqual({
      status: 400,
      field: 'key',
    });
    expect((await post(`${dash.api}/queues/${queue}/ordering/release`, { key: 'account:8' })).status).toBe(
      404,
    );

    expect((await post(`${dash.api}/queues/${queue}/ordering/release`, { key: 'account:7' })).status).toBe(
      200,
    );
    await waitFor(async () => handled.length === 1, 'the next message of the key');
    expect(handled).toEqual([1]);
    const detail = (await (await fetch(`${dash.api}/queues/${queue}`)).json()) as {
      parkedOrderingKeys: unknown[];
    };
    expect(detail.parkedOrderingKeys).toEqual([]);
  });
});
