import { errorMessage } from '../utils/with-timeout.util.js';

/**
 * Errors that no retry can fix: a key of the wrong type (someone else's data under our keys) or a
 * missing ACL permission. They terminate the ownership service; everything else is retried.
 * @internal
 */
export const isUnrecoverable = (error: unknown): boolean => /^(WRONGTYPE|NOPERM)\b/.test(errorMessage(error));

/** The consumer group (or the LBS itself) was deleted: recreate it and go on. @internal */
export const isMissingGroup = (error: unknown): boolean => /NOGROUP/.test(errorMessage(error));
