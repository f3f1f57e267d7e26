import type { CanActivate, Type } from '@nestjs/common';

/** Credentials of the dashboard's HTTP basic authentication. */
export interface DashboardBasicAuth {
  username: string;
  password: string;
}

/**
 * Options of `ValkeyQueueDashboardModule.forRoot()`. Give it `guard` or `basicAuth`: without
 * either, anyone who can reach the app can see and operate every queue.
 */
export interface ValkeyQueueDashboardOptions {
  /** Where the dashboard is mounted; its JSON API is under `${path}/api`. @default '/admin/queues' */
  path?: string;
  /** Hide every action in the UI and refuse every POST with 403. @default false */
  readOnly?: boolean;
  /**
   * A Nest guard class run on every dashboard route (pages, API, events), resolved with the
   * module's injector. Set `request.user` in it to name the operator in the action log.
   */
  guard?: Type<CanActivate>;
  /** HTTP basic authentication on every dashboard route, checked in constant time. */
  basicAuth?: DashboardBasicAuth;
  /** How often the live figures are refreshed while a browser is open, in ms. @default 2000 */
  refreshInterval?: number;
}

/** The options after defaults and checks. @internal */
export interface ResolvedDashboardOptions {
  path: string;
  readOnly: boolean;
  guard?: Type<CanActivate>;
  basicAuth?: DashboardBasicAuth;
  refreshInterval: number;
}
