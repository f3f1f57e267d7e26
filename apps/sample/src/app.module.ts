import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import {
  loadValkeyQueueOptionsFromEnv,
  ValkeyQueueHealthModule,
  ValkeyQueueModule,
} from 'nestjs-valkey-queue';
import { ValkeyQueueDashboardModule } from 'nestjs-valkey-queue/dashboard';
import { DASHBOARD_PATH, dashboardCredentials } from './dashboard/dashboard.credentials.js';
import { ActivityLog } from './activity/activity.log.js';
import { HealthController } from './health/health.controller.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { MetricsSource, OwnMetrics } from './metrics/metrics.source.js';
import { QueuesController } from './queues/queues.controller.js';
import { RegistrationWorker } from './registrations/registration.worker.js';
import { REGISTRATIONS_QUEUE, WELCOME_QUEUE } from './registrations/registrations.constants.js';
import { RegistrationsController } from './registrations/registrations.controller.js';
import { CleanupTask } from './reports/cleanup.task.js';
import { ReportSchedules } from './reports/report.schedules.js';
import { ReportWorker } from './reports/report.worker.js';
import { SessionConsumer } from './sessions/session.consumer.js';
import { SessionsController } from './sessions/sessions.controller.js';
import { WelcomeMailer } from './welcome/welcome.mailer.js';
import { WelcomeWorker } from './welcome/welcome.worker.js';

/**
 * A user-registration service: sign-ups are queued and processed by a worker (with retries, dead
 * and broken messages), welcome e-mails go out delayed, reports run on schedules, and live session
 * streams are owned by one instance at a time. Configured from VALKEY_QUEUE_* variables.
 */
@Module({
  imports: [
    ValkeyQueueModule.forRootAsync({
      useFactory: () => {
        const fromEnv = loadValkeyQueueOptionsFromEnv();
        return {
          ...fromEnv,
          // Served on GET /metrics; VALKEY_QUEUE_METRICS_ENABLED=false turns them off.
          metrics: { enabled: true, ...fromEnv.metrics },
          ownership: { service: 'sample-sessions', leaseTtl: 6_000 },
        };
      },
    }),
    ValkeyQueueModule.registerSender({ name: REGISTRATIONS_QUEUE }),
    ValkeyQueueModule.registerSender({ name: WELCOME_QUEUE }),
    ValkeyQueueHealthModule,
    ValkeyQueueDashboardModule.forRoot({
      path: DASHBOARD_PATH,
      basicAuth: { username: dashboardCredentials.username, password: dashboardCredentials.password },
    }),
  ],
  controllers: [
    RegistrationsController,
    SessionsController,
    HealthController,
    QueuesController,
    MetricsController,
  ],
  providers: [
    ActivityLog,
    { provide: MetricsSource, useClass: OwnMetrics },
    WelcomeMailer,
    RegistrationWorker,
    WelcomeWorker,
    ReportSchedules,
    ReportWorker,
    CleanupTask,
    SessionConsumer,
  ],
})
export class AppModule {
  /**
   * The app with some providers replaced (those given win over the module's own): the demo runs
   * several instances in one process and gives them one activity feed and one metrics view.
   */
  static withProviders(providers: Provider[]): DynamicModule {
    return { module: AppModule, providers };
  }
}
