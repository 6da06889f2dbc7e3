/**
 * The Playwright kit (src/playwright) used the way a user uses it: its own
 * `test` fixture (Chromium with the built extension) against the demo
 * server and against pages that ignore Retry-After.
 */
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, launchWithExtension, SseExpectationError, test } from '../../../src/playwright/index.js';
import { startStormServer, STORM_RETRY_AFTER_SEC, type StormServer } from './support/storm-server.js';

let demo: DemoServer;
let storm: StormServer;

test.beforeAll(async () => {
  demo = await startDemoServer({ port: 0, limit: 2, retryAfterSec: 1 });
  storm = await startStormServer();
});
test.afterAll(async () => {
  await demo?.close();
  await storm?.close();
});

const unique = (name: string): string => `${name}-${Math.random().toString(36).slice(2, 10)}`;

test('waitForLeader, pageOf and tabIdOf name the tab that the app itself calls leader', async ({ context, page, sse }) => {
  const project = unique('lead');
  const pages = [page, await context.newPage(), await context.newPage()];
  for (const p of pages) await p.goto(`${demo.url}/chat.html?projectId=${project}`);
  // Calls made at once share the one extension page the kit reads snapshots from.
  await Promise.all([sse.snapshot(), sse.snapshot(), sse.snapshot()]);
  expect(context.pages()).toHaveLength(pages.length + 1);

  const leader = await sse.waitForLeader(project);
  // The reference client declares its role through the page hook (and holds the lock).
  expect(leader.source).toBe('declared');
  expect(leader.url).toBe(`${demo.url}/chat.html?projectId=${project}`);
  // Three tabs with one URL: pageOf must tell them apart.
  const leaderPage = await sse.pageOf(leader.tabId);
  await expect(leaderPage.locator('[data-testid="role"]')).toHaveText('leader');
  expect(await sse.tabIdOf(leaderPage)).toBe(leader.tabId);
  for (const p of pages.filter((x) => x !== leaderPage)) {
    await expect(p.locator('[data-testid="role"]')).toHaveText('follower');
    expect(await sse.tabIdOf(p)).not.toBe(leader.tabId);
  }
  // The titles are back to the app's own.
  for (const p of pages) expect(await p.title()).toBe('Chat (reference client)');
  // The page the kit reads snapshots from is not a tab of the capture.
  const snapshot = await sse.snapshot();
  expect(snapshot.tabs.every((t) => t.url.startsWith('http'))).toBe(true);
});

test('expectConnections fails for a naive page, listing every tab with its connections', async ({ context, page, sse }) => {
  const project = unique('naive');
  await page.goto(`${demo.url}/naive.html?n=1&projectId=${project}`);
  await (await context.newPage()).goto(`${demo.url}/naive.html?n=1&projectId=${project}`);

  const error = await sse.expectConnections(project, 1, { timeout: 3000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SseExpectationError);
  const message = (error as SseExpectationError).message;
  expect(message).toMatch(/^expectConnections\("naive-[a-z0-9]+", 1\): expected 1 open connection, found 2 \(tab \d+: 1, tab \d+: 1\)\n/);
  expect(message).toContain('Hint: Each tab connects by itself.');
  expect(message.match(/"Naive: N raw EventSources" · http:\/\/127\.0\.0\.1:\d+\/naive\.html\?n=1&projectId=naive-/g)).toHaveLength(2);
  expect(message.match(/role: standalone \(inferred: holds its own connection and no BroadcastChannel\)/g)).toHaveLength(2);
  expect(message.match(/connections: 1 open, 0 connecting, 0 closed/g)).toHaveLength(2);
  expect((error as SseExpectationError).snapshot.schemaVersion).toBe(1);
  // and the right number passes
  await sse.expectConnections(project, 2);
});

test('expectRetryRespected catches a page that re-creates its EventSource every 200 ms despite Retry-After', async ({ page, sse }) => {
  const project = unique('es-storm');
  await page.goto(`${storm.url}/es-storm.html?projectId=${project}`);
  const error = await sse.expectRetryRespected(project, { timeout: 8000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SseExpectationError);
  const message = (error as SseExpectationError).message;
  expect(message).toContain(`expectRetryRespected("${project}"): a tab tried again sooner than Retry-After allowed:`);
  expect(message).toMatch(new RegExp(`tab \\d+: 429 at [\\d:.]+ said Retry-After ${STORM_RETRY_AFTER_SEC} s, but a new connection \\(\\S+\\) came [\\d.]+ s later: [\\d.]+ s too early`));
  expect(message).toContain('Hint: After a 429 or 503, wait at least Retry-After');
  expect(message).toContain('"Storm: EventSource retried every 200 ms"');
});

test('expectRetryRespected catches a fetch client that retries at once (no stream ever opens)', async ({ page, sse }) => {
  const project = unique('fetch-storm');
  await page.goto(`${storm.url}/fetch-storm.html?projectId=${project}`);
  const error = await sse.expectRetryRespected(project, { timeout: 8000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SseExpectationError);
  const message = (error as SseExpectationError).message;
  // Found from the refusals alone: the page never opened a stream.
  expect(message).toMatch(new RegExp(`tab \\d+: 429 at [\\d:.]+ said Retry-After ${STORM_RETRY_AFTER_SEC} s, but another request came [\\d.]+ s later: [\\d.]+ s too early`));
  expect(message).toContain('connections: none');
  expect(message).toMatch(/last 429\/503: 429 to GET .*Retry-After 3 s, 1 of 1 connections in use \(\d+ in all\)/);
});

test('expectRetryRespected passes for a client that waits Retry-After, and only once it has been judged', async ({ page, sse }) => {
  const project = unique('polite');
  await page.goto(`${storm.url}/polite-fetch.html?projectId=${project}`);
  const first = await sse.expectRetryRespected(project, { timeout: 10_000 });
  // Not concluded while the first wait was still running.
  const r0 = first.refusals[0];
  expect(r0).toBeDefined();
  expect(first.at).toBeGreaterThanOrEqual(r0!.at + STORM_RETRY_AFTER_SEC * 1000);
  // It tries three times in all, then stops.
  await expect.poll(async () => (await sse.rateLimits(project)).length, { timeout: 15_000 }).toBe(3);
  const report = await sse.expectRetryRespected(project, { timeout: 10_000 });
  const judged = report.pairs.filter((p) => p.next !== null);
  expect(judged).toHaveLength(2);
  for (const p of judged) {
    expect(p.next?.kind).toBe('response');
    expect(p.waitedMs).toBeGreaterThanOrEqual(STORM_RETRY_AFTER_SEC * 1000);
  }
  // clear() forgets the refusals: a later phase of a test starts from nothing.
  await sse.clear();
  expect(await sse.rateLimits(project)).toEqual([]);
  await expect(sse.expectRetryRespected(project, { timeout: 300 })).rejects.toThrow(/has been refused with a Retry-After yet/);
});

test('expectRetryRespected fails when nothing was refused, unless told that is fine', async ({ page, sse }) => {
  const project = unique('calm');
  await page.goto(`${demo.url}/chat.html?projectId=${project}`);
  await sse.waitForLeader(project);
  await expect(sse.expectRetryRespected(project, { timeout: 500 })).rejects.toThrow(
    `expectRetryRespected("${project}"): no request of project "${project}" has been refused with a Retry-After yet`,
  );
  const report = await sse.expectRetryRespected(project, { requireRefusal: false, timeout: 500 });
  expect(report.refusals).toEqual([]);
});

test('a project nobody used: the message lists what was seen', async ({ page, sse }) => {
  const project = unique('used');
  await page.goto(`${demo.url}/chat.html?projectId=${project}`);
  await sse.waitForLeader(project);
  await expect(sse.waitForLeader('typo', { timeout: 300 })).rejects.toThrow(
    new RegExp(`waitForLeader\\("typo"\\): no tab has opened a connection, channel or lock of project "typo" yet[\\s\\S]*Projects seen: .*"${project}"`),
  );
});

test('launching with a directory that holds no extension says what to do', async () => {
  await expect(launchWithExtension({ extensionPath: test.info().outputDir })).rejects.toThrow(
    /no built extension at .* \(from the extensionPath option\): there is no manifest\.json\. In a checkout of sse-connections run `npm run build`/,
  );
});

test('an extension that does not start (as with branded Chrome) is reported, naming the way out', async () => {
  // A valid extension without a service worker: Chromium starts, no worker appears.
  const dir = path.join(test.info().outputDir, 'no-worker');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ manifest_version: 3, name: 'no worker', version: '1.0' }));
  await expect(launchWithExtension({ extensionPath: dir, startTimeoutMs: 2000 })).rejects.toThrow(
    /started, but the extension from .*no-worker did not \(no service worker: .*\)\. Branded Google Chrome 137 and later ignores --load-extension: use Chromium \(`npx playwright install chromium`\) or set CHROMIUM_PATH/,
  );
});
