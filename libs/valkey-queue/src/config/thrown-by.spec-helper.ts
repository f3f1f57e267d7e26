import { InvalidOptionsError } from '../errors/invalid-options.error.js';
import type { ValkeyQueueOptions } from '../interfaces/valkey-queue-options.interface.js';
import { validateOptions } from './validate-options.js';

/** The error `fn` throws (undefined when it returns), for asserting on its fields. Test-only. */
export const thrownBy = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
};

/** Validation expected to fail: its `InvalidOptionsError` (asserted to be one). Test-only. */
export const invalidOptions = (options: unknown): InvalidOptionsError => {
  const thrown = thrownBy(() => validateOptions(options as ValkeyQueueOptions));
  expect(thrown).toBeInstanceOf(InvalidOptionsError);
  return thrown as InvalidOptionsError;
};

/** The issues of options expected to be invalid, as `path: expected` lines. Test-only. */
export const issuesOf = (options: unknown): string[] =>
  invalidOptions(options).issues.map(({ path, expected }) => `${path}: ${expected.join('; ')}`);
