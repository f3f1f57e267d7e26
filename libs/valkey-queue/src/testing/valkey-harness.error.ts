/**
 * Thrown by the Valkey test harness when a server cannot be found, started, or controlled.
 */
export class ValkeyHarnessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Thrown when a harness-started server process exits or times out before it is ready.
 * `output` holds what the server printed, which usually names the cause (bad directive, port in use...).
 */
export class ValkeyStartupError extends ValkeyHarnessError {
  /** Everything the server wrote to stdout and stderr before it failed (the last 64 KiB). */
  readonly output: string;

  constructor(message: string, output: string) {
    super(output.trim() ? `${message}\n--- server output ---\n${output.trimEnd()}` : message);
    this.output = output;
  }
}
