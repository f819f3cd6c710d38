import type { Config } from 'jest';

/**
 * Projects: `unit` needs no service (npm run test:unit); `integration` talks to the real local
 * stack, which its global setup starts if it is not running and its teardown stops again; `sim`
 * (the deterministic simulation) needs no service; `contract` checks the simulation's fake Kafka
 * against the local broker; `faults` (npm run test:faults, not part of npm test) injects faults
 * into that stack. test/support/ holds no tests: the helpers and the fault-scenario fixture those
 * projects (and bench/, outside jest) import.
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
      // The deterministic simulation of the pipeline (test/sim): real actors and report stage on a
      // fake Kafka and S3, virtual time; no service needed. npm run test:sim runs it longer.
      displayName: 'sim',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/sim/**/*.test.ts'],
    },
    {
      // The fake Kafka's contract: the same scenarios on it and on the local broker (which the
      // integration project's global setup starts in npm test).
      displayName: 'contract',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/test/contract/**/*.test.ts'],
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
