/** Queues of the sample app. */
export const REGISTRATIONS_QUEUE = 'registrations';
export const WELCOME_QUEUE = 'welcome-emails';
export const REPORTS_QUEUE = 'reports';
/** Every queue `GET /queues` reports on. */
export const SAMPLE_QUEUES = [REGISTRATIONS_QUEUE, WELCOME_QUEUE, REPORTS_QUEUE] as const;
