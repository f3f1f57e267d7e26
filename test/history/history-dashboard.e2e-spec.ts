import { OnMessage, QueueSender, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { chromium, closeChromium, launchChromium } from '../dashboard/browser-kit.js';
import { startDashboardApp, type DashboardApp } from '../dashboard/dashboard-app.js';
import { useValkey } from '../utils/use-valkey.js';
import { uniqueQueue, waitFor } from '../workers/worker-test-kit.js';
import { uniqueSchema, usePostgres } from './history-kit.js';

const queue = uniqueQueue('history-dashboard');

@QueueWorker(queue, { concurrency: 5, maxRetries: 0 })
class Worker {
  @OnMessage() handle(msg: QueueMessage<{ fail?: boolean }>): void {
    if (msg.payload.fail) throw new Error('card <b>declined</b>');
  }
}

interface Page {
  items: { id: string; state: string; error?: string; labels: Record<string, string> }[];
  nextCursor?: string;
}

describe('dashboard history routes over the PostgreSQL history (real Valkey, real PostgreSQL)', () => {
  const valkey = useValkey();
  const postgres = usePostgres();
  let dash: DashboardApp;
  const ids: Record<'ok' | 'acme' | 'failed', string> = { ok: '', acme: '', failed: '' };

  const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${dash.api}${path}`);
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    dash = await startDashboardApp('express', valkey().connection, {
      providers: [Worker],
      history: { postgres: { connectionString: postgres().url }, schema: uniqueSchema() },
      // With metrics on, a second start of the history (its gauges registered twice) fails the boot.
      metrics: { enabled: true },
    });
    const sender = dash.app.get(QueueSender);
    ids.ok = (await sender.send(queue, {})).id;
    ids.acme = (await sender.send(queue, {}, { labels: { tenant: 'acme' } })).id;
    ids.failed = (await sender.send(queue, { fail: true })).id;
    await waitFor(async () => {
      const { body } = await get<Page>(`/history?queue=${queue}&state=succeeded,dead`);
      return body.items.length === 3;
    }, 'every message settled in the history');
  });
  afterAll(async () => {
    await dash?.close();
  });

  it('searches by queue, state, label, text and id', async () => {
    const all = await get<Page>(`/history?queue=${queue}`);
    expect(all.status).toBe(200);
    expect(new Set(all.body.items.map((item) => item.id))).toEqual(new Set(Object.values(ids)));

    const dead = await get<Page>(`/history?queue=${queue}&state=dead`);
    expect(dead.body.items).toEqual([
      expect.objectContaining({ id: ids.failed, error: 'card <b>declined</b>' }),
    ]);
    const acme = await get<Page>(`/history?queue=${queue}&label.tenant=acme`);
    expect(acme.body.items.map((item) => item.id)).toEqual([ids.acme]);
    const text = await get<Page>(`/history?queue=${queue}&text=DECLINED`);
    expect(text.body.items.map((item) => item.id)).toEqual([ids.failed]);
    const byId = await get<Page>(`/history?id=${ids.ok}`);
    expect(byId.body.items.map((item) => item.id)).toEqual([ids.ok]);
  });

  it('pages with the cursor, each message once', async () => {
    const first = await get<Page>(`/history?queue=${queue}&limit=2`);
    expect(first.body.items).toHaveLength(2);
    const second = await get<Page>(
      `/history?queue=${queue}&limit=2&cursor=${encodeURIComponent(first.body.nextCursor!)}`,
    );
    const seen = [...first.body.items, ...second.body.items].map((item) => item.id);
    expect(seen.sort()).toEqual(Object.values(ids).sort());
  });

  it("returns one message's timeline, and 404 for a message the history does not hold", async () => {
    const { status, body } = await get<{ state: string; events: { type: string; attempt?: number }[] }>(
      `/history/${ids.failed}`,
    );
    expect(status).toBe(200);
    expect(body.state).toBe('dead');
    expect(body.events.map((event) => event.type)).toEqual(['sent', 'started', 'dead']);
    expect((await get(`/history/no-such-message`)).status).toBe(404);
  });

  it('answers 400 naming the parameter for a bad state, cursor, label or limit', async () => {
    for (const [query, field] of [
      ['state=finished', 'state'],
      ['cursor=not-a-cursor', 'cursor'],
      ['label.Bad%20Key=x', 'label'],
      ['limit=0', 'limit'],
    ]) {
      const { status, body } = await get<{ field: string }>(`/history?${query}`);
      expect({ query, status, field: body.field }).toEqual({
        query,
        status: 400,
        field: expect.stringContaining(field),
      });
    }
  });

  (chromium ? it : it.skip)("in Chromium: searches by state and opens a message's timeline", async () => {
    const { browser, profile } = await launchChromium();
    try {
      const page = await browser.newPage();
      await page.goto(`${dash.url}#/history`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector(`tr[data-history="${ids.ok}"]`);
      await page.type('form.toolbar input[name="queue"]', queue);
      await page.select('form.toolbar select[name="state"]', 'dead');
      await page.click('form.toolbar button[type="submit"]');
      await page.waitForFunction(
        (okRow) =>
          !(
            globalThis as unknown as { document: { querySelector(selector: string): unknown } }
          ).document.querySelector(okRow),
        {},
        `tr[data-history="${ids.ok}"]`,
      );
      const failedRow = `tr[data-history="${ids.failed}"]`;
      // The error is shown as text: its HTML never becomes elements.
      expect(await page.$eval(`${failedRow} td.bad`, (cell) => cell.textContent)).toBe(
        'card <b>declined</b>',
      );
      expect(await page.$(`${failedRow} td.bad b`)).toBeNull();
      await page.click(`${failedRow} a`);
      await page.waitForSelector('tr[data-event="dead"]');
      const events = await page.$$eval('tr[data-event]', (rows) =>
        rows.map((row) => row.getAttribute('data-event')),
      );
      expect(events).toEqual(['sent', 'started', 'dead']);
    } finally {
      await closeChromium(browser, profile);
    }
  });
});
