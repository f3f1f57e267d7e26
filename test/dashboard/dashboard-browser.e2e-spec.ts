import { jest } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { OnMessage, QueueScheduler, QueueSender, QueueWorker, type QueueMessage } from 'nestjs-valkey-queue';
import { deferred } from 'nestjs-valkey-queue/testing';
import type { Browser, Page } from 'puppeteer-core';
import { testKeys } from '../admin/dead-letter-fixtures.js';
import { rawClient } from '../utils/raw-client.js';
import { useValkey } from '../utils/use-valkey.js';
import { startDashboardApp, type DashboardApp } from './dashboard-app.js';
import { chromium, closeChromium, launchChromium } from './browser-kit.js';

const ARTIFACTS = join(process.cwd(), 'test/.artifacts');
const XSS = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 1">';
const IDLE = 'browser-idle';
const ORDERS = 'browser-orders';
const TICKS = 'browser-ticks';

if (!chromium)
  console.log(
    'dashboard browser tests skipped: no Chromium binary (run .ci/install-chromium.sh or set CHROMIUM_PATH)',
  );

/** The DOM the page functions touch (tests compile without the DOM lib; the casts vanish in the page). */
interface PageGlobals {
  document: {
    body: { dataset: Record<string, string | undefined> };
    querySelector(selector: string): { textContent: string | null } | null;
    getElementById(id: string): { textContent: string | null } | null;
  };
  __xss?: number;
}

/** Fails the messages marked `fail` until `healed`; then handles everything. */
const orders = { healed: false, processed: new Map<string, ReturnType<typeof deferred<QueueMessage>>>() };
const processedOnce = (id: string) => {
  if (!orders.processed.has(id)) orders.processed.set(id, deferred<QueueMessage>());
  return orders.processed.get(id)!;
};

@Injectable()
@QueueWorker(ORDERS, { maxRetries: 0 })
class BrowserOrdersWorker {
  @OnMessage()
  async handle(message: QueueMessage<{ fail?: boolean }>): Promise<void> {
    if (message.payload.fail && !orders.healed) throw new Error(`card declined ${XSS}`);
    processedOnce(message.id).resolve(message);
  }
}

(chromium ? describe : describe.skip)('dashboard in a real browser (Chromium, real Valkey)', () => {
  jest.setTimeout(60_000);
  const valkey = useValkey();
  let dash: DashboardApp;
  let client: Redis;
  let browser: Browser;
  let page: Page;
  let profile: string;
  let failedId: string;

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dash = await startDashboardApp('express', valkey().connection, {
      refreshInterval: 500,
      providers: [BrowserOrdersWorker],
    });
    client = rawClient(valkey().url);
    const sender = dash.app.get(QueueSender);
    // The scripted workload: 7 waiting and 2 delayed on a queue nobody consumes, one dead letter.
    await sender.sendBatch(
      IDLE,
      Array.from({ length: 7 }, (_, n) => ({ n })),
      { labels: { source: 'script' } },
    );
    await sender.send(IDLE, { n: 'later' }, { delay: 3_600_000 });
    await sender.send(IDLE, { n: 'later still' }, { delay: 7_200_000 });
    failedId = (await sender.send(ORDERS, { fail: true, note: XSS }, { labels: { note: '<b>bold</b>' } })).id;
    await waitFor(async () => (await client.xlen(testKeys(ORDERS).dead)) === 1);
    await dash.app
      .get(QueueScheduler)
      .upsert({ name: 'browser-tick', every: 3_600_000, queue: TICKS, payload: { tick: true } });
    await dash.app.get(QueueScheduler).upsert({
      name: 'browser-ordered-tick',
      every: 3_600_000,
      queue: TICKS,
      payload: { tick: 'ordered' },
      orderingKey: 'account:7',
      labels: { team: 'ops' },
    });

    ({ browser, profile } = await launchChromium());
    page = await browser.newPage();
    await page.setViewport({ width: 1366, height: 800 });
    page.on('dialog', (dialog) => void dialog.accept());
  });

  afterAll(async () => {
    await closeChromium(browser, profile);
    await dash?.close();
    client?.disconnect();
  });

  const open = async (hash: string) => {
    await page.goto(`${dash.url}${hash}`, { waitUntil: 'domcontentloaded' });
    await page.waitForFunction(
      (expected) => (globalThis as unknown as PageGlobals).document.body.dataset.ready === expected,
      {},
      hash || '#/',
    );
  };
  const text = (selector: string) => page.$eval(selector, (element) => element.textContent?.trim());
  const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `dashboard-${name}.png`) });

  it('shows the scripted workload on the overview, live', async () => {
    await open('');
    const row = `tr[data-queue="${IDLE}"]`;
    await page.waitForSelector(row);
    expect(await text(`${row} [data-field="waiting"]`)).toBe('7');
    expect(await text(`${row} td[data-field="delayed"]`)).toBe('2');
    expect(await text(`tr[data-queue="${ORDERS}"] td[data-field="dead"]`)).toBe('1');
    // The live feed re-renders the rows: the page reflects a message sent now.
    await dash.app.get(QueueSender).send(IDLE, { n: 8 });
    await page.waitForFunction(
      (selector) =>
        (globalThis as unknown as PageGlobals).document.querySelector(selector)?.textContent === '8',
      { timeout: 10_000 },
      `${row} [data-field="waiting"]`,
    );
    await page.waitForFunction(() =>
      (globalThis as unknown as PageGlobals).document.getElementById('live')?.textContent?.startsWith('live'),
    );
    await shot('overview');
  });

  it('filters dead letters by reason and label from the form', async () => {
    await open(`#/queue/${ORDERS}/dead`);
    const row = `tr[data-dead="${failedId}"]`;
    await page.waitForSelector(row);
    const gone = (selector: string) =>
      page.waitForFunction(
        (missing) => !(globalThis as unknown as PageGlobals).document.querySelector(missing),
        {},
        selector,
      );
    await page.select('form.toolbar select[name="reason"]', 'broken');
    await page.click('form.toolbar button[type="submit"]');
    await gone(row);
    await page.select('form.toolbar select[name="reason"]', 'dead');
    await page.type('form.toolbar input[name="label"]', 'note=<b>bold</b>');
    await page.click('form.toolbar button[type="submit"]');
    await page.waitForSelector(row);
  });

  it('says on the history page how to turn the task history on', async () => {
    await open('#/history');
    expect(await text('main')).toContain('ValkeyQueueOptions.history');
  });

  it('shows a dead letter with its HTML as text, redrives it by a click, and the worker handles it', async () => {
    await open(`#/queue/${ORDERS}/dead`);
    const row = `tr[data-dead="${failedId}"]`;
    await page.waitForSelector(row);
    expect(await text(`${row} td.bad`)).toContain('<script>window.__xss = 1</script>');
    expect(await page.$(`${row} img`)).toBeNull();
    expect(await page.$(`${row} b`)).toBeNull();
    await page.click(`${row} details summary`);
    await shot('dead-letters');

    orders.healed = true;
    await page.click(`${row} button.primary`);
    const handled = await processedOnce(failedId).promise;
    expect(handled.payload).toEqual({ fail: true, note: XSS });
    await page.waitForFunction(
      (selector) => !(globalThis as unknown as PageGlobals).document.querySelector(selector),
      {},
      row,
    );
    expect(await text('#notice')).toContain('"redriven":1');
  });

  it('pauses and resumes a queue by clicking', async () => {
    await open(`#/queue/${IDLE}`);
    await page.waitForSelector('#browser table');
    await clickButton('Pause');
    await page.waitForFunction(
      () => (globalThis as unknown as PageGlobals).document.getElementById('state')?.textContent === 'paused',
    );
    await expect(client.exists(testKeys(IDLE).paused)).resolves.toBe(1);
    await shot('queue');
    await clickButton('Resume');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as PageGlobals).document.getElementById('state')?.textContent === 'running',
    );
    await expect(client.exists(testKeys(IDLE).paused)).resolves.toBe(0);
  });

  it('triggers a schedule by clicking', async () => {
    await open('#/schedules');
    const row = 'tr[data-schedule="browser-tick"]';
    await page.waitForSelector(row);
    // What a tick carries besides its queue: the ordering key and the labels, as chips.
    expect(await text('tr[data-schedule="browser-ordered-tick"] [data-field="target"]')).toBe(
      `${TICKS}key account:7team=ops`,
    );
    expect(await text(`${row} [data-field="target"]`)).toBe(TICKS);
    await page.click(`${row} button.primary`);
    await waitFor(async () => (await client.xlen(testKeys(TICKS).stream)) === 1);
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'dark' }]);
    await shot('schedules-dark');
    await page.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: 'light' }]);
  });

  it('read-only: shows the same data without a single action button', async () => {
    const readOnly = await startDashboardApp('express', valkey().connection, { readOnly: true });
    try {
      await page.goto(`${readOnly.url}#/queue/${IDLE}`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('#browser table');
      expect(await text('#cards [data-field="delayed"]')).toBe('2');
      expect(
        await page.$$eval('main button', (buttons) => buttons.map((button) => button.textContent)),
      ).toEqual(['Find', 'waiting', 'pending', 'delayed']);
      await page.goto(`${readOnly.url}#/schedules`, { waitUntil: 'domcontentloaded' });
      await page.waitForSelector('tr[data-schedule="browser-tick"]');
      expect(await page.$$('main button')).toHaveLength(0);
    } finally {
      await readOnly.close(); // the page's event stream stays open: shutdown ends it
      await page.goto('about:blank');
    }
  });

  it('never ran a script from the data', async () => {
    await open(`#/queue/${ORDERS}`);
    await page.waitForSelector('#browser table');
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).__xss)).toBeUndefined();
  });

  async function clickButton(label: string): Promise<void> {
    const buttons = await page.$$('main button');
    for (const button of buttons) {
      if ((await button.evaluate((element) => element.textContent)) === label) return button.click();
    }
    throw new Error(`no button ${label}`);
  }
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
