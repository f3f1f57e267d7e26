// Unit tests: *.spec.ts beside the code. Pure logic only; anything touching Valkey is an e2e test.
import { sharedJestConfig } from './jest.shared.js';

export default {
  ...sharedJestConfig,
  displayName: 'unit',
  testMatch: [
    '<rootDir>/libs/**/*.spec.ts',
    '<rootDir>/apps/**/src/**/*.spec.ts',
    '<rootDir>/scripts/**/*.spec.ts',
    '<rootDir>/torture/**/*.spec.ts',
  ],
};
