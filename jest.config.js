// One Jest run over every package. Tests are transpiled only (tsc checks types in `pnpm typecheck`).
'use strict';
// ESM-only dependencies (jose 6) are transpiled to CommonJS for Jest; Node itself loads them with require(esm).
const esmOnlyDeps = ['jose'].join('|');
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
    [`^.+/node_modules/(?:\\.pnpm/[^/]+/node_modules/)?(?:${esmOnlyDeps})/.+\\.js$`]: [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'commonjs', target: 'es2022', isolatedModules: true }, diagnostics: false },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(?:\\.pnpm/(?:${esmOnlyDeps})@[^/]+/node_modules/)?(?:${esmOnlyDeps})/)`],
  moduleNameMapper: {
    '^@confide/contracts$': '<rootDir>/packages/contracts/src/index.ts',
    '^@confide/(ingest|transcription|insights|storage|lifecycle|gateway)-service$': '<rootDir>/services/$1/src/index.ts',
    '^@confide/(platform|testing|cli)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  rootDir: __dirname,
};
module.exports = {
  rootDir: __dirname,
  // testTimeout is global in Jest (not per project): integration and e2e tests need real services.
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/scripts/jest-summary-reporter.js'],
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,services}/*/test/unit/**/*.test.ts'] },
    { ...shared, displayName: 'integration', testMatch: ['<rootDir>/{packages,services}/*/test/integration/**/*.test.ts'] },
    { ...shared, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
  ],
};
