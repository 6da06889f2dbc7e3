/**
 * Config of the example: `npx playwright test -c examples` runs it against
 * the demo server (`SSE_RETRY_AFTER_SEC=2 npm start`, http://127.0.0.1:8787),
 * or against your app with APP_URL and APP_PAGE (see sse-connections.spec.ts).
 * Our own suite runs it too: tests/e2e/kit/examples.spec.ts.
 */
import { defineConfig } from '@playwright/test';
// In your project: import type { SseFixtures } from 'sse-connections/playwright';
import type { SseFixtures } from '../src/playwright/index.js';

const timeout = Number(process.env['SSE_TIMEOUT']) || undefined;

export default defineConfig<Pick<SseFixtures, 'sseOptions'>>({
  testDir: '.',
  testMatch: '*.spec.ts',
  workers: 1,
  timeout: 90_000,
  reporter: [['list']],
  outputDir: '../test-results/examples',
  use: {
    // The default wait of the sse helpers (10 s).
    sseOptions: timeout !== undefined ? { timeout } : {},
  },
});
