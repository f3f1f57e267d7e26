import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import { ScheduleControls } from '../scheduler/schedule-controls.js';
import { DASHBOARD_OPTIONS, DASHBOARD_USER_GUARD } from './dashboard.constants.js';
import { dashboardController } from './dashboard.controller.js';
import { DashboardData } from './dashboard-data.service.js';
import { DashboardGuard } from './dashboard.guard.js';
import { historyProvider } from './dashboard-history.js';
import type { ResolvedDashboardOptions, ValkeyQueueDashboardOptions } from './dashboard-options.interface.js';
import { LiveFeed } from './live-feed.service.js';

/**
 * The web dashboard: pages, JSON API (`${path}/api`) and live events, mounted in the host app on
 * Express or Fastify. Needs `ValkeyQueueModule.forRoot()` (global) in the same app. Protect it with
 * `guard` or `basicAuth`: an unguarded dashboard lets anyone who reaches the app operate every queue.
 * @example
 * ValkeyQueueDashboardModule.forRoot({ path: '/admin/queues', guard: AdminGuard })
 */
@Module({})
export class ValkeyQueueDashboardModule {
  static forRoot(options: ValkeyQueueDashboardOptions = {}): DynamicModule {
    const resolved = resolveDashboardOptions(options);
    if (!resolved.guard && !resolved.basicAuth) {
      new Logger('ValkeyQueueDashboard').warn(
        `The dashboard at ${resolved.path} has no guard and no basic auth: anyone who can reach this app can ` +
          'read and operate every queue. Set guard or basicAuth in ValkeyQueueDashboardModule.forRoot().',
      );
    }
    const userGuard = resolved.guard
      ? [resolved.guard, { provide: DASHBOARD_USER_GUARD, useExisting: resolved.guard }]
      : [];
    return {
      module: ValkeyQueueDashboardModule,
      controllers: [dashboardController(resolved.path)],
      providers: [
        { provide: DASHBOARD_OPTIONS, useValue: resolved },
        LiveFeed,
        DashboardData,
        DashboardGuard,
        ScheduleControls,
        historyProvider,
        ...userGuard,
      ],
    };
  }
}

function resolveDashboardOptions(options: ValkeyQueueDashboardOptions): ResolvedDashboardOptions {
  const { path = '/admin/queues', readOnly = false, guard, basicAuth, refreshInterval = 2_000 } = options;
  const issues = [];
  if (typeof path !== 'string' || !/^\/[A-Za-z0-9._~/-]*$/.test(path)) {
    issues.push({
      path: 'path',
      value: path,
      expected: ['a URL path starting with /, of letters, digits and . _ ~ - /'],
    });
  }
  if (guard !== undefined && basicAuth !== undefined) {
    issues.push({ path: 'guard', value: '[guard]', expected: ['guard or basicAuth, not both'] });
  }
  if (
    basicAuth !== undefined &&
    !(
      typeof basicAuth?.username === 'string' &&
      typeof basicAuth.password === 'string' &&
      basicAuth.password.length > 0
    )
  ) {
    issues.push({
      path: 'basicAuth',
      value: '[redacted]',
      expected: ['{ username: string; password: non-empty string }'],
    });
  }
  if (!Number.isSafeInteger(refreshInterval) || refreshInterval < 100) {
    issues.push({
      path: 'refreshInterval',
      value: refreshInterval,
      expected: ['a whole number of ms >= 100'],
    });
  }
  if (issues.length > 0) throw new InvalidOptionsError(issues);
  const trimmed = path === '/' ? '' : path.replace(/\/+$/, '');
  return { path: trimmed, readOnly: readOnly === true, guard, basicAuth, refreshInterval };
}
