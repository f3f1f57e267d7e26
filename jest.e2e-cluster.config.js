// The e2e suites that must keep their guarantees on Valkey Cluster, run against one shared local
// 3-primary cluster (`npm run test:e2e:cluster`, which sets VALKEY_TEST_TOPOLOGY=cluster).
import e2e from './jest.e2e.config.js';

export default {
  ...e2e,
  displayName: 'e2e-cluster',
  testMatch: [
    ...['sender', 'workers', 'scheduler', 'ownership', 'delayed', 'ordering'].map(
      (folder) => `<rootDir>/test/${folder}/**/*.e2e-spec.ts`,
    ),
    // The dashboard's API: queue discovery SCANs every primary, figures are read per slot.
    '<rootDir>/test/dashboard/dashboard-api.e2e-spec.ts',
  ],
  // Three child processes over a 10-tick window: it runs on standalone, and here it would add
  // 1.5-2 minutes to CI for the same exactly-once script the in-process scheduler suite covers.
  testPathIgnorePatterns: ['/node_modules/', 'scheduler-processes'],
  globalSetup: '<rootDir>/test/utils/cluster-global-setup.mjs',
  globalTeardown: '<rootDir>/test/utils/cluster-global-teardown.mjs',
};
