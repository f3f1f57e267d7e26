import { Injectable, Logger } from '@nestjs/common';
import { filter, firstValueFrom, ReplaySubject, timeout, type Observable } from 'rxjs';

/** Something the sample app did, for the demo's summary and for `GET /activity`. */
export interface Activity {
  kind: 'processed' | 'retrying' | 'dead' | 'broken' | 'welcome' | 'report' | 'cleanup' | 'session';
  detail: string;
  at: Date;
  /** The app instance that did it, when several share one feed (the demo). */
  instance?: string;
}

/** Activities kept per kind: schedule ticks arrive every few seconds and must not push out the rest. */
const KEPT_PER_KIND = 100;

/** Where activities are kept and announced: one per app, or one shared by the demo's instances. */
export class ActivityFeed {
  private readonly byKind = new Map<Activity['kind'], Activity[]>();
  private readonly recent = new ReplaySubject<Activity>(500);

  add(activity: Activity): void {
    const kept = this.byKind.get(activity.kind) ?? [];
    kept.push(activity);
    if (kept.length > KEPT_PER_KIND) kept.shift();
    this.byKind.set(activity.kind, kept);
    this.recent.next(activity);
  }

  /** The kept activities, oldest first. */
  all(): Activity[] {
    return [...this.byKind.values()].flat().sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Resolves with the first activity (past or future) that matches, or rejects after `ms`. */
  waitFor(match: (activity: Activity) => boolean, ms: number): Promise<Activity> {
    const matching: Observable<Activity> = this.recent.pipe(filter(match), timeout(ms));
    return firstValueFrom(matching);
  }
}

/**
 * An in-memory record of what the workers did. Real apps would emit metrics or domain events;
 * the sample keeps the last 100 of each kind so the demo can await outcomes instead of sleeping.
 */
@Injectable()
export class ActivityLog {
  private readonly logger = new Logger('Activity');
  private feed = new ActivityFeed();
  private instance?: string;

  /** The log of one instance of several that record into one feed (the demo's `/activity`). */
  static sharing(feed: ActivityFeed, instance: string): ActivityLog {
    const log = new ActivityLog();
    log.feed = feed;
    log.instance = instance;
    return log;
  }

  record(kind: Activity['kind'], detail: string): void {
    const activity: Activity = { kind, detail, at: new Date() };
    if (this.instance) activity.instance = this.instance;
    this.logger.log(this.instance ? `${this.instance}: ${kind}: ${detail}` : `${kind}: ${detail}`);
    this.feed.add(activity);
  }

  all(): readonly Activity[] {
    return this.feed.all();
  }

  /** Resolves with the first activity (past or future) that matches, or rejects after `ms`. */
  waitFor(match: (activity: Activity) => boolean, ms = 15_000): Promise<Activity> {
    return this.feed.waitFor(match, ms);
  }
}
