// End-to-end tests against real Valkey servers started by the harness (run in band).
import { sharedJestConfig } from './jest.shared.js';

export default {
  ...sharedJestConfig,
  displayName: 'e2e',
  testMatch: ['<rootDir>/test/**/*.e2e-spec.ts', '<rootDir>/apps/**/test/**/*.e2e-spec.ts'],
  testTimeout: 60_000,
};
