// Two projects: `unit` (pure code, co-located *.test.ts, no services) and `integration`
// (test/integration, test/e2e, test/e2e-workflow, test/soak: real kube-apiserver/etcd/KCM/scheduler started once per run by
// test/support/global-setup.ts, real containerd/kubelet where a suite says so).
import { createDefaultEsmPreset } from 'ts-jest';

const preset = createDefaultEsmPreset({ tsconfig: 'tsconfig.json' });
const common = {
  ...preset,
  testEnvironment: 'node',
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
export default {
  testSequencer: '<rootDir>/test/support/sequencer.js',
  projects: [
    {
      ...common,
      displayName: 'unit',
      roots: [
        '<rootDir>/lib',
        '<rootDir>/operator',
        '<rootDir>/node-agent',
        '<rootDir>/cli',
        '<rootDir>/test/unit',
      ],
      testMatch: ['**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      // test/e2e-workflow: the full user workflow on the real kubelet + containerd (issue 8);
      // `npm run test:workflow` runs it alone; test/soak: the short soak (`npm run test:soak` alone)
      roots: [
        '<rootDir>/test/integration',
        '<rootDir>/test/e2e',
        '<rootDir>/test/e2e-workflow',
        '<rootDir>/test/soak',
      ],
      testMatch: ['**/*.test.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/integration-timeout.ts'],
    },
  ],
};
