import { Injectable, Logger } from '@nestjs/common';
import { filter, firstValueFrom, ReplaySubject, timeout, type Observable } from 'rxjs';

/** Something the sample app did, for the demo's summary and for `GET /activity`. */
export interface Activity {
  kind: 'processed' | 'retrying' | 'dead' | 'broken' | 'welcome' | 'report' | 'cleanup' | 'session';
  detail: string;
  at: Date;
}

/**
 * An in-memory record of what the workers did. Real apps would emit metrics or domain events;
 * the sample keeps the last 500 so the demo can await outcomes instead of sleeping.
 */
@Injectable()
export class ActivityLog {
  private readonly logger = new Logger('Activity');
  private readonly recent = new ReplaySubject<Activity>(500);
  private readonly entries: Activity[] = [];

  record(kind: Activity['kind'], detail: string): void {
    const activity: Activity = { kind, detail, at: new Date() };
    this.entries.push(activity);
    if (this.entries.length > 500) this.entries.shift();
    this.logger.log(`${kind}: ${detail}`);
    this.recent.next(activity);
  }

  all(): readonly Activity[] {
    return this.entries;
  }

  /** Resolves with the first activity (past or future) that matches, or rejects after `ms`. */
  waitFor(match: (activity: Activity) => boolean, ms = 15_000): Promise<Activity> {
    const matching: Observable<Activity> = this.recent.pipe(filter(match), timeout(ms));
    return firstValueFrom(matching);
  }
}
