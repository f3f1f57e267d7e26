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
    '^nestjs-valkey-queue/dashboard$': '<rootDir>/libs/valkey-queue/src/dashboard/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // @fastify/middie require()s path-to-regexp 9, which is ESM only: Node loads it (require(esm)),
    // jest cannot. Version 8 (Express's, CommonJS) has the same parse/pathToRegexp API.
    '^path-to-regexp$': '<rootDir>/node_modules/path-to-regexp/dist/index.js',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json' }],
  },
};
