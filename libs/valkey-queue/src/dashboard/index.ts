// The dashboard entry point, `nestjs-valkey-queue/dashboard`: kept apart so apps that do not mount
// it never load its controller or assets.
export { ValkeyQueueDashboardModule } from './dashboard.module.js';
export type { DashboardBasicAuth, ValkeyQueueDashboardOptions } from './dashboard-options.interface.js';
export { DASHBOARD_CSRF_HEADER } from './dashboard.constants.js';
