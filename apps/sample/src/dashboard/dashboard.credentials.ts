import { randomBytes } from 'node:crypto';

/**
 * Basic-auth credentials of the sample's dashboard (/admin/queues): SAMPLE_DASHBOARD_USER and
 * SAMPLE_DASHBOARD_PASSWORD, else `admin` and a random password made at start (printed by the
 * demo and logged by main.ts). Never mount the dashboard unguarded.
 */
export const DASHBOARD_PATH = '/admin/queues';
export const dashboardCredentials = {
  username: process.env.SAMPLE_DASHBOARD_USER ?? 'admin',
  password: process.env.SAMPLE_DASHBOARD_PASSWORD ?? randomBytes(12).toString('base64url'),
  generated: process.env.SAMPLE_DASHBOARD_PASSWORD === undefined,
};
