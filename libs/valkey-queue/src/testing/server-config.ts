import type { StartValkeyOptions } from './start-valkey.types.js';
import type { TlsCertificates } from './tls-certificates.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

/** ACL rules given to a {@link StartValkeyOptions.users} entry without its own. */
export const DEFAULT_USER_RULES = '~* &* +@all';

/** What {@link renderServerConfig} needs besides the user's options. */
export interface ServerConfigInput {
  /** Loopback port to serve on (the TLS port when `tls` is set). */
  port: number;
  /** Working directory: AOF, dumps and nothing else of the host. */
  dir: string;
  /** Certificates of a TLS-only server. */
  tls?: TlsCertificates;
  /** The user's options. */
  options: StartValkeyOptions;
}

/** Renders a valkey.conf for a loopback test server that logs to stdout and persists nothing by default. */
export function renderServerConfig({ port, dir, tls, options }: ServerConfigInput): string {
  const lines = [
    // Loopback only, so protected mode (which only guards non-loopback clients) never needs turning off.
    'bind 127.0.0.1',
    tls ? 'port 0' : `port ${port}`,
    `dir ${quote(dir)}`,
    'daemonize no',
    'loglevel notice',
    // An empty logfile means stdout, where the harness waits for "Ready to accept connections".
    'logfile ""',
    'save ""',
    `appendonly ${options.appendonly ? 'yes' : 'no'}`,
  ];
  if (options.password !== undefined) lines.push(`requirepass ${quote(options.password)}`);
  for (const user of options.users ?? []) {
    const rules = (user.rules ?? DEFAULT_USER_RULES).split(/\s+/).filter(Boolean);
    lines.push(['user', quote(user.name), 'on', quote(`>${user.password}`), ...rules].join(' '));
  }
  if (tls) {
    lines.push(
      `tls-port ${port}`,
      `tls-cert-file ${quote(tls.serverCertFile)}`,
      `tls-key-file ${quote(tls.serverKeyFile)}`,
      `tls-ca-cert-file ${quote(tls.caFile)}`,
      // Clients with only the CA may connect; a client certificate, when sent, must be signed by the CA.
      'tls-auth-clients optional',
    );
  }
  for (const [name, value] of Object.entries(options.config ?? {})) {
    if (/[\r\n]/.test(name + value) || !/^[\w-]+$/.test(name)) {
      throw new ValkeyHarnessError(
        `Invalid server config directive ${JSON.stringify(name)}: ${JSON.stringify(value)}`,
      );
    }
    lines.push(`${name} ${value === '' ? '""' : value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Quotes a config argument the way the server's parser (sdssplitargs) reads double-quoted strings. */
function quote(value: string): string {
  let escaped = '';
  for (const char of value) {
    const code = char.charCodeAt(0);
    if (char === '\\' || char === '"') escaped += `\\${char}`;
    else if (code < 0x20 || code === 0x7f) escaped += `\\x${code.toString(16).padStart(2, '0')}`;
    else escaped += char;
  }
  return `"${escaped}"`;
}
