import type { INestApplication } from '@nestjs/common';
import { QueueSender } from 'nestjs-valkey-queue';
import type { Activity, ActivityFeed } from '../activity/activity.log.js';
import { REGISTRATIONS_QUEUE } from '../registrations/registrations.constants.js';

/** One line of the demo's summary: a feature and what showed it working (or why not). */
export interface DemoCheck {
  feature: string;
  ok: boolean;
  detail: string;
}

/** A running app instance of the demo. */
export interface DemoInstance {
  name: string;
  app: INestApplication;
}

const check = async (feature: string, outcome: Promise<string>): Promise<DemoCheck> =>
  outcome.then(
    (detail) => ({ feature, ok: true, detail }),
    (error: unknown) => ({
      feature,
      ok: false,
      detail: error instanceof Error ? error.message : String(error),
    }),
  );

const post = (base: string, path: string, body?: unknown) =>
  fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/**
 * The scripted burst: sign-ups that succeed, retry, die and break; an invalid request; a delayed
 * welcome e-mail; a scheduled tick. Every step waits for its outcome, never for a fixed time.
 */
export async function runQueueBurst(
  base: string,
  feed: ActivityFeed,
  instances: DemoInstance[],
): Promise<DemoCheck[]> {
  const waitFor = (match: (activity: Activity) => boolean) => feed.waitFor(match, 20_000);
  const has = (kind: Activity['kind'], text: string) => (activity: Activity) =>
    activity.kind === kind && activity.detail.includes(text);
  const run = Date.now().toString(36); // fresh addresses each run (sign-ups are deduplicated by e-mail)
  const email = (who: string) => `${who}-${run}@example.com`;

  for (const who of ['ada', 'flaky', 'doomed']) {
    const response = await post(base, '/registrations', { email: email(who), name: who, plan: 'free' });
    if (response.status !== 202)
      throw new Error(`POST /registrations for ${who} answered ${response.status}`);
  }
  const invalid = await post(base, '/registrations', { email: 'not-an-email', name: '', plan: 'gold' });
  // A producer that skips HTTP validation (another service, an old client): the worker rejects it.
  await instances[0].app.get(QueueSender).send(REGISTRATIONS_QUEUE, { email: email('legacy'), plan: 'gold' });

  return Promise.all([
    check(
      'normal processing',
      waitFor(has('processed', `${email('ada')} registered`)).then((a) => a.detail),
    ),
    check(
      'retry, then success',
      waitFor(has('processed', `${email('flaky')} registered on attempt 2`)).then((a) => a.detail),
    ),
    check(
      'dead letter',
      waitFor(has('dead', email('doomed'))).then((a) => a.detail),
    ),
    check(
      'broken message',
      waitFor((a) => a.kind === 'broken').then((a) => a.detail),
    ),
    check(
      'invalid request',
      Promise.resolve(invalid.status).then((status) => {
        if (status !== 400) throw new Error(`expected 400, got ${status}`);
        return 'POST /registrations with a bad e-mail, name and plan -> 400 Bad Request';
      }),
    ),
    check(
      'delayed message',
      waitFor(has('welcome', email('ada'))).then((a) => a.detail),
    ),
    check(
      'scheduled tick',
      waitFor(has('report', 'activity-snapshot')).then((a) => a.detail),
    ),
    check(
      '@Scheduled method',
      waitFor(has('cleanup', 'dead-letter audit')).then((a) => a.detail),
    ),
  ]);
}

/**
 * Ownership hand-over: a session stream goes to one instance; that instance shuts down (`close`)
 * and hands it back; another instance takes it over with a higher fencing token. Resolves the check
 * and the instance that was shut down (the caller may start it again).
 */
export async function runOwnershipHandOver(
  base: string,
  feed: ActivityFeed,
  instances: DemoInstance[],
  close: (instance: DemoInstance) => Promise<void>,
): Promise<{ check: DemoCheck; closed?: DemoInstance }> {
  const stream = `session:demo-${Date.now().toString(36)}`;
  const took = (activity: Activity) =>
    activity.kind === 'session' && activity.detail.startsWith(`took ${stream} `);
  const tookOver = (activity: Activity) =>
    activity.kind === 'session' && activity.detail.startsWith(`took over ${stream} `);
  try {
    const owner = feed.waitFor(took, 15_000);
    const response = await post(base, `/sessions/${stream.slice('session:'.length)}`);
    if (response.status !== 202) throw new Error(`POST /sessions answered ${response.status}`);
    const taken = await owner;
    const closed = instances.find(({ name }) => name === taken.instance);
    if (!closed) throw new Error(`no demo instance named ${String(taken.instance)} took ${stream}`);
    const successor = feed.waitFor(
      (activity) => tookOver(activity) && activity.instance !== closed.name,
      15_000,
    );
    await close(closed);
    const next = await successor;
    const tokenOf = (activity: Activity) => activity.detail.slice(activity.detail.indexOf('('));
    const detail = `${stream}: ${closed.name} ${tokenOf(taken)}, shut down; ${next.instance} ${tokenOf(next)}`;
    return { check: { feature: 'ownership hand-over', ok: true, detail }, closed };
  } catch (error) {
    return { check: { feature: 'ownership hand-over', ok: false, detail: String(error) } };
  }
}
