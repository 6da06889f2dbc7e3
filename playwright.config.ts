import { defineConfig } from '@playwright/test';

// e2e tests run against the built extension (`npm run build` first; `npm run
// test:e2e` does that). One worker: every test launches its own Chromium, and
// these machines have two cores.
export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  workers: 1,
  fullyParallel: false,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
});
