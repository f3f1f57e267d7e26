import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { parseMetrics, valueOf } from '../../../test/observability/metrics-text.js';
import { useValkey } from '../../../test/utils/use-valkey.js';
import { ActivityLog } from '../src/activity/activity.log.js';
import { AppModule } from '../src/app.module.js';

describe('sample app (real Valkey)', () => {
  const valkey = useValkey({ appendonly: true });
  let app: INestApplication;
  let activity: ActivityLog;
  const run = Date.now().toString(36);

  beforeAll(async () => {
    process.env.VALKEY_QUEUE_URL = valkey().url; // the sample reads VALKEY_QUEUE_* like production
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleRef.createNestApplication();
    await app.init();
    activity = app.get(ActivityLog);
  });
  afterAll(async () => {
    await app?.close();
    delete process.env.VALKEY_QUEUE_URL;
  });

  it('processes a posted registration', async () => {
    const response = await request(app.getHttpServer())
      .post('/registrations')
      .send({ email: `grace-${run}@example.com`, name: 'Grace', plan: 'pro' })
      .expect(202);
    expect(response.body).toEqual({ id: expect.any(String), queue: 'registrations', deduplicated: false });
    await expect(
      activity.waitFor((a) => a.kind === 'processed' && a.detail.includes(`grace-${run}`)),
    ).resolves.toBeDefined();
  });

  it('rejects an invalid registration with 400 and queues nothing', async () => {
    const response = await request(app.getHttpServer())
      .post('/registrations')
      .send({ email: 'nope', name: 'X', plan: 'gold', admin: true })
      .expect(400);
    expect(response.body.message).toEqual(
      expect.arrayContaining([
        'email must be an email',
        'plan must be one of the following values: free, pro',
      ]),
    );
  });

  it('shows dead and broken messages under /queues, and redrives them', async () => {
    await request(app.getHttpServer())
      .post('/registrations')
      .send({ email: `doomed-${run}@example.com`, name: 'Doomed', plan: 'free' })
      .expect(202);
    await activity.waitFor((a) => a.kind === 'dead' && a.detail.includes(`doomed-${run}`));

    const { body: queues } = await request(app.getHttpServer()).get('/queues').expect(200);
    const registrations = queues.find((queue: { queue: string }) => queue.queue === 'registrations');
    expect(registrations.deadLetters).toBeGreaterThanOrEqual(1);
    expect(registrations.recentDeadLetters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'dead',
          attempts: 3,
          payload: expect.objectContaining({ email: `doomed-${run}@example.com` }),
        }),
      ]),
    );

    const redriveStarted = new Date();
    const redriven = await request(app.getHttpServer()).post('/queues/registrations/redrive').expect(200);
    expect(redriven.body.redriven).toBeGreaterThanOrEqual(1);
    // Redriven with its attempts reset: the doomed address is handled again, from attempt 1.
    const again = (a: { kind: string; detail: string; at: Date }) =>
      a.kind === 'retrying' &&
      a.detail === `doomed-${run}@example.com failed on attempt 1` &&
      a.at >= redriveStarted;
    await expect(activity.waitFor(again)).resolves.toBeDefined();
  });

  it('serves Prometheus metrics on GET /metrics', async () => {
    const response = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const samples = parseMetrics(response.text);
    const worker = { queue: 'registrations', worker: 'RegistrationWorker' };
    // The tests above processed one registration and let another die, each sent through the API.
    expect(
      valueOf(samples, 'valkey_queue_messages_sent_total', { queue: 'registrations' }),
    ).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'valkey_queue_messages_processed_total', worker)).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'valkey_queue_messages_dead_total', worker)).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'valkey_queue_handler_duration_seconds_count', worker)).toBeGreaterThanOrEqual(2);
    expect(valueOf(samples, 'valkey_queue_queue_stats_up')).toBe(1);
    expect(valueOf(samples, 'valkey_queue_queue_length', { queue: 'registrations' })).toEqual(
      expect.any(Number),
    );
  });

  it('reports health, down while Valkey is stopped and up again after it restarts', async () => {
    const healthy = await request(app.getHttpServer()).get('/health').expect(200);
    expect(healthy.body.info.valkey.status).toBe('up');
    expect(healthy.body.info.queues.status).toBe('up');

    await valkey().kill();
    const down = await request(app.getHttpServer()).get('/health').expect(503);
    expect(down.body.error.valkey).toMatchObject({ status: 'down', message: expect.any(String) });

    await valkey().restart();
    await expect(waitForHealthy(app)).resolves.toBe(200);
  });
});

/** Polls /health (bounded) until it answers 200: reconnection has no event the HTTP client can await. */
async function waitForHealthy(app: INestApplication): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const { status } = await request(app.getHttpServer()).get('/health');
    if (status === 200) return status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return 503;
}
