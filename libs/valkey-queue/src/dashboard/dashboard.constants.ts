/** DI token of the resolved dashboard options. @internal */
export const DASHBOARD_OPTIONS = 'VALKEY_QUEUE_DASHBOARD_OPTIONS';
/** DI token of the user's guard instance, when `guard` is set. @internal */
export const DASHBOARD_USER_GUARD = 'VALKEY_QUEUE_DASHBOARD_USER_GUARD';
/**
 * The header every dashboard POST must carry (any value). A cross-site form cannot set a custom
 * header, and a cross-site fetch cannot without a CORS preflight the dashboard never grants.
 */
export const DASHBOARD_CSRF_HEADER = 'x-vq-csrf';
