// End-to-end tests against real Valkey servers started by the harness (run in band).
import { sharedJestConfig } from './jest.shared.js';

export default {
  ...sharedJestConfig,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/apps/**/test/**/*.e2e-spec.ts'],
  testTimeout: 60_000,
  // A suite that leaves a handle open (a socket or timer of a server it stopped) must not hold the
  // run, and CI with it, after the last test: the results are final by then.
  forceExit: true,
};
