/**
 * `sse-connections/playwright`: assert in your own Playwright tests what your
 * app's tabs do with their SSE connections, through the SSE Connections
 * extension (docs/playwright.md).
 *
 *   import { test, expect } from 'sse-connections/playwright';
 *
 *   test('one connection per project', async ({ context, sse }) => {
 *     for (let i = 0; i < 3; i++) await (await context.newPage()).goto('/chat?projectId=p1');
 *     await sse.expectSingleLeader('p1', { followers: 2 });
 *     await sse.expectConnections('p1', 1);
 *   });
 *
 * `test` is Playwright's own, with `context` and `page` replaced by a
 * Chromium that has the extension loaded, and an `sse` fixture added.
 */
import { test as base, expect } from '@playwright/test';
import { launchWithExtension, type LaunchedExtension, type LaunchOptions } from './launch.js';
import { createSse, type Sse } from './sse.js';

export interface SseFixtureOptions {
  /** Chromium binary; default `CHROMIUM_PATH`, else Playwright's Chromium, else /usr/bin/chromium. */
  executablePath?: string;
  /** Unpacked extension; default `SSE_CONNECTIONS_DIST`, else the `dist/` of this package. */
  extensionPath?: string;
  /** More Chromium flags. */
  args?: string[];
  /** Default wait of the `sse` helpers (ms, default 10 000). */
  timeout?: number;
}

export interface SseFixtures {
  /** Set with `test.use({ sseOptions: { ... } })`. */
  sseOptions: SseFixtureOptions;
  /** The launched browser with the extension: its service worker and id. */
  sseExtension: LaunchedExtension;
  /** The helpers. */
  sse: Sse;
}

export const test = base.extend<SseFixtures>({
  sseOptions: [{}, { option: true }],

  sseExtension: async ({ sseOptions, headless, viewport, baseURL, ignoreHTTPSErrors }, use) => {
    const options: LaunchOptions = {
      headless,
      contextOptions: {
        ...(viewport !== undefined ? { viewport } : {}),
        ...(baseURL !== undefined ? { baseURL } : {}),
        ...(ignoreHTTPSErrors !== undefined ? { ignoreHTTPSErrors } : {}),
      },
    };
    if (sseOptions.executablePath !== undefined) options.executablePath = sseOptions.executablePath;
    if (sseOptions.extensionPath !== undefined) options.extensionPath = sseOptions.extensionPath;
    if (sseOptions.args !== undefined) options.args = sseOptions.args;
    const launched = await launchWithExtension(options);
    await use(launched);
    await launched.close();
  },

  context: async ({ sseExtension }, use) => {
    await use(sseExtension.context);
  },

  page: async ({ context }, use) => {
    // A persistent context starts with one blank page: use it.
    await use(context.pages()[0] ?? (await context.newPage()));
  },

  sse: async ({ context, sseExtension, sseOptions }, use) => {
    await use(
      createSse(context, {
        extensionId: sseExtension.extensionId,
        ...(sseOptions.timeout !== undefined ? { timeout: sseOptions.timeout } : {}),
      }),
    );
  },
});

export { expect };
export { createSse, SseExpectationError } from './sse.js';
export type { Sse, SseOptions, StableWaitOptions, WaitOptions } from './sse.js';
export { launchWithExtension, resolveChromium, resolveExtensionDir, BUNDLED_EXTENSION_DIR } from './launch.js';
export type { LaunchedExtension, LaunchOptions } from './launch.js';
export {
  checkRetryRespected,
  connectionsVerdict,
  describeRetryPair,
  leaderOf,
  leaderVerdict,
  openConnections,
  retryVerdict,
  singleLeaderVerdict,
} from './checks.js';
export type { Attempt, LeaderInfo, RetryOptions, RetryPair, RetryReport, RetryVerdictOptions, SingleLeaderOptions, Verdict } from './checks.js';
export { describeProject, describeTab, explainRole } from './describe.js';
export type { Snapshot, SnapshotAnomaly, SnapshotConnection, SnapshotProject, SnapshotRateLimit, SnapshotRole, SnapshotTab } from '../shared/protocol.js';
