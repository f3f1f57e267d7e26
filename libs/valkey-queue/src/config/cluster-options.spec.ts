import { loadValkeyQueueOptionsFromEnv } from './load-options-from-env.js';
import { issuesOf } from './thrown-by.spec-helper.js';
import { validateOptions } from './validate-options.js';

const NODES = [{ host: '10.0.0.1', port: 7000 }];

describe('cluster connection options (natMap, scaleReads)', () => {
  it('accepts a natMap and a scaleReads mode with nodes, and leaves scaleReads unset by default', () => {
    const natMap = { '10.0.0.1:7000': { host: 'valkey-0.example.com', port: 17000 } };
    const { connection } = validateOptions({ connection: { nodes: NODES, natMap, scaleReads: 'slave' } });
    expect(connection).toMatchObject({ nodes: NODES, natMap, scaleReads: 'slave' });
    expect(validateOptions({ connection: { nodes: NODES } }).connection.scaleReads).toBeUndefined();
  });

  it.each([
    [{ nodes: NODES, scaleReads: 'replica' }, /connection\.scaleReads: scaleReads must be one of/],
    [{ url: 'redis://h:1', scaleReads: 'all' }, /connection\.scaleReads: only together with nodes/],
    [{ host: 'h', natMap: {} }, /connection\.natMap: only together with nodes/],
    [{ nodes: NODES, natMap: { '10.0.0.1:7000': { host: 'h' } } }, /connection\.natMap\.10\.0\.0\.1:7000/],
    [{ nodes: NODES, natMap: { '10.0.0.1:7000': { host: 'h', port: 70_000 } } }, /port 1-65535/],
    [{ nodes: NODES, natMap: { '10.0.0.1:7000': { host: 'h', port: 1, tls: true } } }, /natMap/],
    [{ nodes: NODES, natMap: { 'no-port': { host: 'h', port: 1 } } }, /announced 'host:port'/],
  ])('rejects %j', (connection, expected) => {
    expect(issuesOf({ connection }).join('\n')).toMatch(expected);
  });

  it('reads VALKEY_QUEUE_CLUSTER_SCALE_READS and names it when invalid', () => {
    const env = { VALKEY_QUEUE_CLUSTER_NODES: 'n1:7000', VALKEY_QUEUE_CLUSTER_SCALE_READS: 'all' };
    expect(loadValkeyQueueOptionsFromEnv(env).connection.scaleReads).toBe('all');
    expect(() =>
      loadValkeyQueueOptionsFromEnv({ ...env, VALKEY_QUEUE_CLUSTER_SCALE_READS: 'replicas' }),
    ).toThrow(/VALKEY_QUEUE_CLUSTER_SCALE_READS/);
  });
});
