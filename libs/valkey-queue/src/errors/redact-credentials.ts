/** What replaces a password in an error's recorded command. */
export const REDACTED = '[redacted]';

/** Commands whose arguments carry credentials: `AUTH [user] password`, `HELLO 3 AUTH user password ...`. */
const WITH_CREDENTIALS = new Set(['auth', 'hello', 'migrate']);

/**
 * ioredis attaches the failed command to reply errors (`error.command = { name, args }`), so a
 * `WRONGPASS` from the handshake carries `HELLO 3 AUTH <user> <password>`, and every error that wraps
 * it as `cause` would show the password wherever it is logged or inspected. Replaces those arguments
 * in place, along the whole `cause` chain. Safe on anything (non-errors are left alone).
 */
export function redactCredentials(error: unknown): void {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && typeof current === 'object' && current !== null; depth++) {
    const command = (current as { command?: { name?: unknown; args?: unknown } }).command;
    if (
      command &&
      typeof command.name === 'string' &&
      WITH_CREDENTIALS.has(command.name.toLowerCase()) &&
      Array.isArray(command.args)
    ) {
      command.args = command.args.map(() => REDACTED);
    }
    current = (current as { cause?: unknown }).cause;
  }
}
