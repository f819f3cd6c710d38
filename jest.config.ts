import type { Config } from 'jest';

/**
 * Three projects: `unit` needs no service (npm run test:unit); `integration` talks to the real local
 * stack, which its global setup starts if it is not running and its teardown stops again; `faults`
 * (npm run test:faults, not part of npm test) injects faults into that stack.
 */
// Test workers inherit this: the AWS SDK's Node 22 notice would print once per test file.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const transform: Config['transform'] = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

const config: Config = {
  testEnvironment: 'node',
  verbose: false,
  // Integration tests start services and wait for brokers; unit tests finish far sooner.
  testTimeout: 120_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/unit/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
    {
      // npm run test:faults: injects faults into the real stack; not part of npm test.
      displayName: 'faults',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/faults/**/*.test.ts'],
      globalSetup: '<rootDir>/test/faults/setup.ts',
      globalTeardown: '<rootDir>/test/faults/teardown.ts',
    },
  ],
};

export default config;
