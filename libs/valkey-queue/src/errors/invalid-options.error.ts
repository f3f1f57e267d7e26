import { ValkeyQueueError } from './valkey-queue.error.js';

/** One invalid field of the module options. Secret values are already redacted. */
export interface InvalidOption {
  /** Dotted path, e.g. `connection.port`. */
  path: string;
  /** The value given (`'[redacted]'` for secrets). */
  value: unknown;
  /** What was expected instead. */
  expected: string[];
}

/** The module options are invalid: thrown at bootstrap, listing every invalid field at once. */
export class InvalidOptionsError extends ValkeyQueueError {
  constructor(readonly issues: InvalidOption[]) {
    super('VQ_INVALID_OPTIONS', InvalidOptionsError.describe(issues));
  }

  private static describe(issues: InvalidOption[]): string {
    const lines = issues.map(
      ({ path, value, expected }) => `  - ${path} = ${formatValue(value)}: ${expected.join('; ')}`,
    );
    return `Invalid ValkeyQueueModule options (${issues.length}):\n${lines.join('\n')}`;
  }
}

const formatValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return '[function]';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
};
