import { createServer } from 'node:net';

/**
 * Asks the OS for a TCP port that is free on 127.0.0.1 right now.
 * Another process may take it before the caller binds, so callers retry on "Address already in use".
 */
export function getFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}
