import { startValkey, type StartedValkey, type StartValkeyOptions } from 'nestjs-valkey-queue/testing';

/**
 * Starts a real server before the suite's tests and stops it (by PID) after them, even when a
 * test failed. Returns an accessor, since the server exists only once `beforeAll` has run.
 */
export function useValkey(options?: StartValkeyOptions): () => StartedValkey {
  let server: StartedValkey | undefined;
  beforeAll(async () => {
    server = await startValkey(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('useValkey: the server is not started yet (call it inside a test)');
    return server;
  };
}
