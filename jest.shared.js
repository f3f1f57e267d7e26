// Jest 30 + ts-jest in ESM mode (Nest 12 is ESM-only). Type checking is `npm run typecheck`'s
// job, so ts-jest only transpiles (isolatedModules in tsconfig) and tests start fast.
export const sharedJestConfig = {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^nestjs-valkey-queue$': '<rootDir>/libs/valkey-queue/src/index.ts',
    '^nestjs-valkey-queue/testing$': '<rootDir>/libs/valkey-queue/src/testing/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};
