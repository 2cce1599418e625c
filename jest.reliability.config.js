/** @type {import('jest').Config} */
// The reliability suite (test/reliability/*.rel.ts): real server processes that are killed,
// cut off from their database and fed hostile input. `npm test` does not pick these files up
// (its testMatch is *.test.ts); run them with `npx jest -c jest.reliability.config.js`.
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/reliability'],
  testMatch: ['**/*.rel.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Builds dist/ once (the servers run node dist/src/cli/start.js); merges the measured counts.
  globalSetup: '<rootDir>/test/reliability/globalSetup.js',
  globalTeardown: '<rootDir>/test/reliability/globalTeardown.js',
  testTimeout: 180000,
  // Two files at a time on the machine's two cores; every file starts its own servers.
  maxWorkers: 2,
};
