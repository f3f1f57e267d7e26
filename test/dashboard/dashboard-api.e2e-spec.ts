import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  QueueScheduler,
  QueueSender,
  StreamOwnershipService,
  type OwnershipEvent,
} from 'nestjs-valkey-queue';
import { filter, firstValueFrom } from 'rxjs';
import { appendAll, deadLetterFields, testEnvelope, testKeys } from '../admin/dead-letter-fixtures.js';
import { pollUntil } from '../sender/sender-fixtures.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { PLATFORMS, readEvents, startDashboardApp, type DashboardApp } from './dashboard-app.js';

const CSRF = { 'x-vq-csrf': '1' };
/** A POST as a script sends it: JSON when there is a body. */
const post = (url: string, body?: unknown, headers: Record<string, string> = CSRF) =>
  fetch(url, {
    method: 'POST',
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const json = async (response: Response) => ({
  status: response.status,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the assertions check the shape
  body: (await response.json()) as any,
});

/** A guard of the host app: only requests carrying the admin token pass; it names the operator. */
@Injectable()
class AdminTokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string>; user?: unknown }>();
    if (request.headers['x-admin-token'] !== 'let-me-in') return false;
    request.user = { username: 'ops-alice' };
    return true;
  }
}

describe.each(PLATFORMS)('dashboard JSON API on %s (real Valkey)', (platform) => {
  const valkey = useValkey();
  let dash: DashboardApp;
  let client: Redis;

  beforeAll(async () => {
    dash = await startDashboardApp(platform, valkey().connection, { refreshInterval: 200 });
    client = rawClient(valkey().url);
  });
  afterAll(async () => {
    await dash?.close();
    client?.disconnect();
  });

  const freshQueue = () => `dash-${randomUUID()}`;

  it('lists queues found by SCAN, with their figures, paged by name', async () => {
    const [a, b] = [freshQueue(), freshQueue()].sort();
    const sender = dash.app.get(QueueSender);
    await sender.sendBatch(a, [{ n: 1 }, { n: 2 }, { n: 3 }]);
    await sender.send(b, { n: 1 }, { delay: 60_000 });
    const { body } = await json(await fetch(`${dash.api}/queues?limit=1000`));
    expect(body.items.find((row: { name: string }) => row.name === a)).toMatchObject({
      waiting: 3,
      delayed: 0,
      dead: 0,
    });
    expect(body.items.find((row: { name: string }) => row.name === b)).toMatchObject({
      waiting: 0,
      delayed: 1,
    });
    const first = await json(await fetch(`${dash.api}/queues?limit=1`));
    expect(first.body.items).toHaveLength(1);
    const second = await json(
      await fetch(`${dash.api}/queues?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`),
    );
    expect(second.body.items[0].name > first.body.items[0].name).toBe(true);
  });

  it('counts waiting messages per priority on the overview and the queue page', async () => {
    const queue = freshQueue();
    const sender = dash.app.get(QueueSender);
    await sender.sendBatch(queue, [{ n: 1 }, { n: 2 }]);
    await sender.send(queue, { n: 3 }, { priority: 5 });
    const { body } = await json(await fetch(`${dash.api}/queues?limit=1000`));
    expect(body.items.find((row: { name: string }) => row.name === queue)).toMatchObject({
      waiting: 3,
      waitingByPriority: { 0: 2, 5: 1 },
    });
    await expect(fetch(`${dash.api}/queues/${queue}`).then(json)).resolves.toMatchObject({
      body: { waiting: 3, waitingByPriority: { 0: 2, 5: 1 } },
    });
  });

  it('answers 400 with the parameter at fault for every bad parameter', async () => {
    const queue = freshQueue();
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    const cases: [string, string][] = [
      [`/queues/${encodeURIComponent('a b')}`, 'queue'],
      [`/queues/${encodeURIComponent('x{y}')}/messages`, 'queue'],
      ['/queues?limit=0', 'limit'],
      ['/queues?limit=abc', 'limit'],
      [`/queues/${queue}/messages?state=running`, 'state'],
      [`/queues/${queue}/messages?limit=100000`, 'limit'],
      [`/queues/${queue}/messages?state=pending&cursor=7`, 'cursor'],
      [`/queues/${queue}/dead-letters?reason=tired`, 'reason'],
      [`/queues/${queue}/dead-letters?from=yesterday`, 'from'],
      [`/queues/${queue}/dead-letters?from=2026-01-02&to=2026-01-01`, 'from'],
      [`/queues/${queue}/dead-letters?${encodeURIComponent('label.BAD KEY')}=x`, 'label.BAD KEY'],
      [`/queues/${queue}/dead-letters?colour=red`, 'colour'],
      [`/queues/${queue}/dead-letters?cursor=abc`, 'cursor'],
    ];
    for (const [path, field] of cases) {
      const { status, body } = await json(await fetch(`${dash.api}${path}`));
      expect({ path, status, field: body.field }).toEqual({ path, status: 400, field });
      expect(body).toMatchObject({ statusCode: 400, message: expect.any(String) });
    }
    const bodies: [unknown, string][] = [
      [{}, 'body'],
      [{ ids: 'one' }, 'ids'],
      [{ ids: [] }, 'ids'],
      [{ ids: [42] }, 'ids[0]'],
      [{ ids: ['a'], filter: {} }, 'body'],
      [{ filter: { reason: 'sleepy' } }, 'filter.reason'],
      [{ filter: {}, force: true }, 'force'],
    ];
    for (const [payload, field] of bodies) {
      const { status, body } = await json(
        await post(`${dash.api}/queues/${queue}/dead-letters/redrive`, payload),
      );
      expect({ payload, status, field: body.field }).toEqual({ payload, status: 400, field });
    }
  });

  it('answers 404 for an unknown queue, message, delayed message or schedule, and for history while it is off', async () => {
    const queue = freshQueue();
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    const missing = [
      fetch(`${dash.api}/queues/${freshQueue()}`),
      fetch(`${dash.api}/queues/${freshQueue()}/messages`),
      fetch(`${dash.api}/queues/${freshQueue()}/dead-letters`),
      fetch(`${dash.api}/queues/${queue}/messages/${randomUUID()}`),
      post(`${dash.api}/queues/${freshQueue()}/pause`),
      post(`${dash.api}/queues/${queue}/delayed/${randomUUID()}/promote`),
      post(`${dash.api}/queues/${queue}/delayed/${randomUUID()}/cancel`),
      post(`${dash.api}/schedules/no-such-schedule/trigger`),
      post(`${dash.api}/schedules/no-such-schedule/remove`),
    ];
    for (const response of await Promise.all(missing)) expect(response.status).toBe(404);
    const history = await json(await fetch(`${dash.api}/history?text=x`));
    expect(history).toMatchObject({
      status: 404,
      body: { reason: expect.stringContaining('ValkeyQueueOptions.history') },
    });
    expect((await fetch(`${dash.api}/history/${randomUUID()}`)).status).toBe(404);
  });

  it('peeks waiting and delayed messages, finds one by id, promotes and cancels delayed ones', async () => {
    const queue = freshQueue();
    const sender = dash.app.get(QueueSender);
    const sent = await sender.send(
      queue,
      { html: '<script>alert(1)</script>' },
      { labels: { tenant: 'acme' } },
    );
    const later = await sender.send(queue, { n: 2 }, { delay: 60_000 });
    const cancelled = await sender.send(queue, { n: 3 }, { delay: 60_000 });
    const waiting = await json(await fetch(`${dash.api}/queues/${queue}/messages?state=waiting`));
    expect(waiting.body.items).toEqual([
      expect.objectContaining({
        id: sent.id,
        state: 'waiting',
        labels: { tenant: 'acme' },
        payload: { html: '<script>alert(1)</script>' },
      }),
    ]);
    const delayed = await json(await fetch(`${dash.api}/queues/${queue}/messages?state=delayed&limit=1`));
    expect(delayed.body.items).toHaveLength(1);
    expect(delayed.body.nextCursor).toBe('1');
    await expect(json(await fetch(`${dash.api}/queues/${queue}/messages/${sent.id}`))).resolves.toMatchObject(
      {
        status: 200,
        body: { id: sent.id, state: 'waiting' },
      },
    );
    await expect(
      json(await fetch(`${dash.api}/queues/${queue}/messages/${later.id}`)),
    ).resolves.toMatchObject({
      body: { id: later.id, state: 'delayed' },
    });

    expect((await post(`${dash.api}/queues/${queue}/delayed/${cancelled.id}/cancel`)).status).toBe(200);
    const keys = testKeys(queue);
    await expect(client.zscore(keys.delayed, cancelled.id)).resolves.toBeNull();
    await expect(client.hexists(`${keys.delayed}:bodies`, cancelled.id)).resolves.toBe(0);
    expect((await post(`${dash.api}/queues/${queue}/delayed/${later.id}/promote`)).status).toBe(200);
    // Promoting makes it due now; the app's own promoter then moves it to the waiting stream.
    const promoted = await pollUntil(
      async () => (await json(await fetch(`${dash.api}/queues/${queue}/messages/${later.id}`))).body,
      (body) => (body as { state?: string }).state === 'waiting',
    );
    expect(promoted).toMatchObject({ id: later.id, state: 'waiting', payload: { n: 2 } });
    await expect(client.zscore(keys.delayed, later.id)).resolves.toBeNull();
  });

  it('filters dead letters, redrives one, selected or all matching, and deletes', async () => {
    const queue = freshQueue();
    const keys = testKeys(queue);
    const envelopes = [
      testEnvelope({ labels: { tenant: 'acme' } }),
      testEnvelope({ labels: { tenant: 'acme' } }),
      testEnvelope({ labels: { tenant: 'other' } }),
      testEnvelope(),
    ];
    await appendAll(client, keys.dead, [
      deadLetterFields(envelopes[0], { error: 'card declined' }),
      deadLetterFields(envelopes[1], { error: 'timeout' }),
      deadLetterFields(envelopes[2], { error: 'card declined' }),
      deadLetterFields(envelopes[3], { reason: 'expired', error: '' }),
    ]);
    const list = (query: string) => fetch(`${dash.api}/queues/${queue}/dead-letters?${query}`).then(json);
    expect((await list('')).body.items).toHaveLength(4);
    expect((await list('reason=expired')).body.items.map((d: { id: string }) => d.id)).toEqual([
      envelopes[3].id,
    ]);
    expect((await list('text=DECLINED')).body.items).toHaveLength(2);
    expect(
      (await list('label.tenant=acme&text=declined')).body.items.map((d: { id: string }) => d.id),
    ).toEqual([envelopes[0].id]);
    const firstPage = await list('limit=3');
    expect(firstPage.body.items).toHaveLength(3);
    expect((await list(`cursor=${firstPage.body.nextCursor}`)).body.items).toHaveLength(1);

    await expect(
      post(`${dash.api}/queues/${queue}/dead-letters/redrive`, { ids: [envelopes[0].id] }).then(json),
    ).resolves.toEqual({
      status: 200,
      body: { redriven: 1 },
    });
    await expect(
      post(`${dash.api}/queues/${queue}/dead-letters/redrive`, {
        filter: { labels: { tenant: 'other' } },
      }).then(json),
    ).resolves.toMatchObject({ body: { redriven: 1 } });
    await expect(client.xlen(keys.stream)).resolves.toBe(2);
    await expect(
      post(`${dash.api}/queues/${queue}/dead-letters/delete`, { filter: { reason: 'expired' } }).then(json),
    ).resolves.toMatchObject({ body: { deleted: 1 } });
    await expect(
      post(`${dash.api}/queues/${queue}/dead-letters/delete`, { ids: [envelopes[1].id] }).then(json),
    ).resolves.toMatchObject({
      body: { deleted: 1 },
    });
    await expect(client.xlen(keys.dead)).resolves.toBe(0);
  });

  it('pauses and resumes a queue, and shows groups and consumers', async () => {
    const queue = freshQueue();
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    await client.xgroup('CREATE', testKeys(queue).stream, 'workers', '0');
    await client.xreadgroup('GROUP', 'workers', 'alice', 'COUNT', 1, 'STREAMS', testKeys(queue).stream, '>');
    expect((await post(`${dash.api}/queues/${queue}/pause`)).status).toBe(200);
    await expect(fetch(`${dash.api}/queues/${queue}`).then(json)).resolves.toMatchObject({
      body: {
        paused: true,
        pending: 1,
        groups: [{ name: 'workers', consumers: [{ name: 'alice', pending: 1 }] }],
      },
    });
    const pending = await fetch(`${dash.api}/queues/${queue}/messages?state=pending`).then(json);
    expect(pending.body.items).toEqual([
      expect.objectContaining({ state: 'pending', consumer: 'alice', deliveries: 1 }),
    ]);
    expect((await post(`${dash.api}/queues/${queue}/resume`)).status).toBe(200);
    await expect(client.exists(testKeys(queue).paused)).resolves.toBe(0);
  });

  it('pauses, resumes, triggers and removes a schedule', async () => {
    const queue = freshQueue();
    const name = `tick-${randomUUID()}`;
    await dash.app.get(QueueScheduler).upsert({ name, every: 3_600_000, queue, payload: { ping: true } });
    const listed = async () =>
      (
        (await fetch(`${dash.api}/schedules`).then(json)).body.items as {
          name: string;
          paused: boolean;
          nextRunAt: unknown;
        }[]
      ).find((item) => item.name === name);
    expect(await listed()).toMatchObject({ paused: false, nextRunAt: expect.any(String) });
    expect((await post(`${dash.api}/schedules/${name}/pause`)).status).toBe(200);
    expect(await listed()).toMatchObject({ paused: true, nextRunAt: null });
    expect((await post(`${dash.api}/schedules/${name}/resume`)).status).toBe(200);
    expect(await listed()).toMatchObject({ paused: false, nextRunAt: expect.any(String) });
    expect((await post(`${dash.api}/schedules/${name}/trigger`)).status).toBe(200);
    const [[, fields]] = (await client.xrange(testKeys(queue).stream, '-', '+')) as [string, string[]][];
    expect(fields).toEqual(expect.arrayContaining(['payload', '{"ping":true}']));
    expect((await post(`${dash.api}/schedules/${name}/remove`)).status).toBe(200);
    expect(await listed()).toBeUndefined();
  });

  it("triggers a prioritized schedule's tick onto its priority's key, labels and priority on the message", async () => {
    const queue = freshQueue();
    const name = `urgent-${randomUUID()}`;
    await dash.app
      .get(QueueScheduler)
      .upsert({ name, every: 3_600_000, queue, payload: { ping: 2 }, priority: 7, labels: { team: 'ops' } });
    expect((await post(`${dash.api}/schedules/${name}/trigger`)).status).toBe(200);
    const keys = testKeys(queue);
    await expect(client.xlen(keys.stream)).resolves.toBe(0);
    const entries = (await client.xrange(`${keys.stream}:p7`, '-', '+')) as [string, string[]][];
    expect(entries).toHaveLength(1);
    const fields = entries[0][1];
    const field = (name: string) => fields[fields.indexOf(name) + 1];
    expect({
      payload: field('payload'),
      priority: field('priority'),
      labels: JSON.parse(field('labels')),
    }).toEqual({
      payload: '{"ping":2}',
      priority: '7',
      labels: { team: 'ops' },
    });
  });

  it('refuses cross-site POSTs; a script with the header and no Origin works', async () => {
    const queue = freshQueue();
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    const url = `${dash.api}/queues/${queue}/pause`;
    const refused = [
      post(url, 'a=1', { 'content-type': 'text/plain' }), // what a cross-site HTML form can send
      post(url, undefined, { ...CSRF, origin: 'https://evil.example' }),
      post(url, undefined, { ...CSRF, 'sec-fetch-site': 'cross-site' }),
      post(url, undefined, { ...CSRF, 'sec-fetch-site': 'same-site' }),
    ];
    for (const response of await Promise.all(refused)) expect(response.status).toBe(403);
    await expect(client.exists(testKeys(queue).paused)).resolves.toBe(0);
    const origin = new URL(dash.url).origin;
    expect((await post(url, undefined, { ...CSRF, origin, 'sec-fetch-site': 'same-origin' })).status).toBe(
      200,
    );
    expect((await post(url)).status).toBe(200); // curl-like: no Origin, no Sec-Fetch-Site
  });

  it('sends strict security headers with the page, and serves its assets from the package', async () => {
    const page = await fetch(dash.url);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain(`src="${new URL(dash.url).pathname}/assets/app.js"`);
    expect((await fetch(`${dash.url}/assets/app.js`)).headers.get('content-type')).toMatch(/javascript/);
    expect((await fetch(`${dash.url}/assets/app.css`)).headers.get('content-type')).toMatch(/css/);
  });
});

describe.each(PLATFORMS)('dashboard access control on %s (real Valkey)', (platform) => {
  const valkey = useValkey();
  const apps: DashboardApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  const start = async (options: Parameters<typeof startDashboardApp>[2]) => {
    const app = await startDashboardApp(platform, valkey().connection, { refreshInterval: 200, ...options });
    apps.push(app);
    return app;
  };

  it('shows stream ownership: holder, fencing token, lease expiry; says when it is not configured', async () => {
    const plain = await start({});
    await expect(fetch(`${plain.api}/ownership`).then(json)).resolves.toMatchObject({
      body: { configured: false, streams: [] },
    });
    const dash = await start({ ownership: 'dash-sessions' });
    const ownership = dash.app.get(StreamOwnershipService);
    // This instance is the service's only consumer: it takes the assignment and holds the lease.
    const added = firstValueFrom(ownership.events$.pipe(filter((event) => event.type === 'added')));
    await ownership.assign('session-1');
    const { lease } = (await added) as Extract<OwnershipEvent, { type: 'added' }>;
    const { body } = await fetch(`${dash.api}/ownership`).then(json);
    expect(body).toMatchObject({
      configured: true,
      service: 'dash-sessions',
      streams: [
        { stream: 'session-1', owner: lease.owner, token: lease.token, leaseExpiresAt: expect.any(String) },
      ],
    });
  });

  it('readOnly refuses every action with 403 and says so to the page', async () => {
    const dash = await start({ readOnly: true });
    const queue = `dash-${randomUUID()}`;
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    await expect(fetch(`${dash.api}/config`).then(json)).resolves.toMatchObject({ body: { readOnly: true } });
    for (const path of [
      `/queues/${queue}/pause`,
      `/queues/${queue}/dead-letters/redrive`,
      '/schedules/x/trigger',
    ]) {
      expect((await post(`${dash.api}${path}`, { ids: ['x'] })).status).toBe(403);
    }
    expect((await fetch(`${dash.api}/queues/${queue}`)).status).toBe(200);
  });

  it('basic auth: 401 without or with wrong credentials on the page, the API and the events; the right ones pass', async () => {
    const dash = await start({ basicAuth: { username: 'ops', password: 's3cret' } });
    const good = { authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}` };
    const bad = { authorization: `Basic ${Buffer.from('ops:guess').toString('base64')}` };
    for (const url of [dash.url, `${dash.api}/queues`, `${dash.api}/events`]) {
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Basic /);
      expect((await fetch(url, { headers: bad })).status).toBe(401);
    }
    expect((await fetch(dash.url, { headers: good })).status).toBe(200);
    expect((await fetch(`${dash.api}/queues`, { headers: good })).status).toBe(200);
    await expect(readEvents(`${dash.api}/events`, 1, { headers: good })).resolves.toHaveLength(1);
    const queue = `dash-${randomUUID()}`;
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    expect((await post(`${dash.api}/queues/${queue}/pause`, undefined, { ...CSRF, ...good })).status).toBe(
      200,
    );
  });

  it('a guard class: 403 without its token on the page, the API and the events; it names the operator in the log', async () => {
    const dash = await start({ guard: AdminTokenGuard });
    for (const url of [dash.url, `${dash.api}/queues`, `${dash.api}/events`])
      expect((await fetch(url)).status).toBe(403);
    const token = { 'x-admin-token': 'let-me-in' };
    expect((await fetch(`${dash.api}/queues`, { headers: token })).status).toBe(200);
    await expect(readEvents(`${dash.api}/events`, 1, { headers: token })).resolves.toHaveLength(1);
    const queue = `dash-${randomUUID()}`;
    await dash.app.get(QueueSender).send(queue, { n: 1 });
    const logged: string[] = [];
    dash.app.useLogger({ log: (message: string) => logged.push(message), error: () => {}, warn: () => {} });
    expect((await post(`${dash.api}/queues/${queue}/pause`, undefined, { ...CSRF, ...token })).status).toBe(
      200,
    );
    expect(logged).toContainEqual(
      expect.stringMatching(new RegExp(`^ops-alice paused queue '${queue}' at \\d{4}-`)),
    );
  });
});
