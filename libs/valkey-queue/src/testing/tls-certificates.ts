import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ValkeyTlsMaterial } from './start-valkey.types.js';
import { ValkeyHarnessError } from './valkey-harness.error.js';

const execFileAsync = promisify(execFile);

/** Throwaway TLS material: what clients get, plus the server's own certificate and key files. */
export interface TlsCertificates extends ValkeyTlsMaterial {
  /** Path of the server certificate (SAN IP:127.0.0.1, DNS:localhost), signed by the CA. */
  serverCertFile: string;
  /** Path of the server private key. */
  serverKeyFile: string;
}

/**
 * Generates a one-day CA (RSA 2048), a server certificate for 127.0.0.1/localhost and a client certificate
 * (P-256 keys: generated in milliseconds, where RSA keys take up to half a second each) with the `openssl`
 * CLI, into `<dir>/tls`.
 */
export async function generateTlsCertificates(dir: string): Promise<TlsCertificates> {
  const tlsDir = join(dir, 'tls');
  await mkdir(tlsDir, { mode: 0o700 });
  const file = (name: string): string => join(tlsDir, name);

  // Each flag stays beside its value.
  // prettier-ignore
  await openssl([
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=valkey-test-ca',
    '-keyout', file('ca.key'), '-out', file('ca.crt'),
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await issueCertificate(
    file,
    'server',
    'localhost',
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
  );
  await issueCertificate(file, 'client', 'valkey-test-client', 'extendedKeyUsage=clientAuth\n');

  const [ca, cert, key] = await Promise.all(
    ['ca.crt', 'client.crt', 'client.key'].map((name) => readFile(file(name), 'utf8')),
  );
  return {
    ca,
    cert,
    key,
    caFile: file('ca.crt'),
    certFile: file('client.crt'),
    keyFile: file('client.key'),
    serverCertFile: file('server.crt'),
    serverKeyFile: file('server.key'),
  };
}

/** Creates `<name>.key` and `<name>.crt` signed by the CA, with the extensions in `extensions`. */
async function issueCertificate(
  file: (name: string) => string,
  name: string,
  commonName: string,
  extensions: string,
): Promise<void> {
  // The extensions go through a file because `openssl x509 -req` cannot take them on the command line.
  await writeFile(file(`${name}.ext`), extensions);
  // Each flag stays beside its value.
  // prettier-ignore
  await openssl([
    'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${commonName}`,
    '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`),
  ]);
  // Each flag stays beside its value.
  // prettier-ignore
  await openssl([
    'x509', '-req', '-days', '1', '-in', file(`${name}.csr`),
    '-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-set_serial', `0x${randomBytes(8).toString('hex')}`,
    '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`),
  ]);
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args);
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') {
      throw new ValkeyHarnessError(
        'startValkey({ tls: true }) needs the openssl CLI on PATH to create throwaway certificates; install openssl.',
        { cause: error },
      );
    }
    throw new ValkeyHarnessError(`openssl ${args[0]} failed: ${stderr?.trim() || String(error)}`, {
      cause: error,
    });
  }
}
