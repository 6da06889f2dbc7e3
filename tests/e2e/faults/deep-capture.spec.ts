/**
 * Deep capture end to end. Chrome will not grant `debugger` as an optional
 * permission (see vite.deep.config.ts), so this test builds the extension
 * with `debugger` declared (test-only build) and drives `deep:start` /
 * `deep:stop` from the faults view's page. What it checks: the network-level
 * view sees a named event that the page never listens to (the page script
 * cannot), with the response's status and headers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, expect, test, type BrowserContext } from '@playwright/test';
import type { Snapshot } from '../../../src/shared/protocol';
import { BASE_ARGS, chromiumPath, ROOT } from '../support/chromium';
import { startTestServer, type TestServer } from '../support/server';

let dist: string;
let profile: string;
let context: BrowserContext;
let server: TestServer;
let extensionId: string;

test.beforeAll(async () => {
  dist = mkdtempSync(path.join(os.tmpdir(), 'sse-deep-dist-'));
  execFileSync('npx', ['vite', 'build', '-c', 'tests/e2e/faults/vite.deep.config.ts', '--outDir', dist], { cwd: ROOT, stdio: 'pipe' });
  profile = mkdtempSync(path.join(os.tmpdir(), 'sse-deep-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    headless: true,
    executablePath: chromiumPath(),
    args: [...BASE_ARGS, `--disable-extensions-except=${dist}`, `--load-extension=${dist}`],
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate(() => 1);
  extensionId = new URL(worker.url()).host;
  server = await startTestServer();
});
test.afterAll(async () => {
  await context?.close();
  await server?.close();
  rmSync(dist, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
});

test('deep capture sees a named event the page never listens to, with status and headers; stopping detaches', async () => {
  const page = await context.newPage();
  await page.goto(`${server.url}/plain.html`);
  const worker = context.serviceWorkers()[0]!;
  const tabId = await worker.evaluate(async (u: string) => (await chrome.tabs.query({ url: u })).map((t) => t.id)[0], page.url());
  const ext = await context.newPage();
  await ext.goto(`chrome-extension://${extensionId}/src/panel/faults/faults.html?tabId=${tabId}`);
  // The person's click: the view checks the permission and starts the capture.
  await ext.getByTestId('deep-toggle').click();
  await expect(ext.getByTestId('deep-toggle')).toHaveText('Stop deep capture');
  const snapshot = () => ext.evaluate(() => chrome.runtime.sendMessage({ kind: 'snapshot:get' })) as Promise<Snapshot>;
  expect((await snapshot()).deepCapture?.tabIds).toEqual([tabId]);

  // The page listens to `message` only; the server sends `event: tick`.
  const pageSaw = await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?event=tick&count=3&intervalMs=20`);
    let messages = 0;
    es.onmessage = () => messages++;
    await new Promise((r) => setTimeout(r, 600));
    es.close();
    return messages;
  }, server.url);
  expect(pageSaw).toBe(0);

  await expect
    .poll(async () => (await snapshot()).deepCapture?.events.filter((e) => e.kind === 'message' && e.type === 'tick').length)
    .toBe(3);
  const events = (await snapshot()).deepCapture!.events;
  const ticks = events.filter((e) => e.kind === 'message');
  expect(ticks.map((e) => [e.type, e.lastEventId, e.preview, e.source])).toEqual([
    ['tick', '1', '{"n":1}', 'network'],
    ['tick', '2', '{"n":2}', 'network'],
    ['tick', '3', '{"n":3}', 'network'],
  ]);
  const response = events.find((e) => e.kind === 'response')!;
  expect(response.status).toBe(200);
  expect(response.headers?.['content-type']).toBe('text/event-stream');
  expect(response.url).toBe(`${server.url}/sse/ticker?event=tick&count=3&intervalMs=20`);
  // Merged with the page script's view: the ticks only the network saw, and a stream the page does listen to, seen by both.
  await page.evaluate(async (base) => {
    const es = new EventSource(`${base}/sse/ticker?count=2&intervalMs=20`);
    let n = 0;
    await new Promise<void>((r) => (es.onmessage = () => ++n === 2 && r()));
    es.close();
  }, server.url);
  const table = ext.getByTestId('deep-events');
  await expect(table.locator('tr[data-source="both"]')).toHaveCount(2, { timeout: 10_000 });
  const cells = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [tr.getAttribute('data-source'), tr.children[1]?.textContent, tr.children[2]?.textContent]),
  );
  expect(cells).toEqual([
    ['network', 'tick', '1'],
    ['network', 'tick', '2'],
    ['network', 'tick', '3'],
    ['both', 'message', '1'],
    ['both', 'message', '2'],
  ]);

  await ext.getByTestId('deep-toggle').click();
  await expect(ext.getByTestId('deep-toggle')).toHaveText('Start deep capture');
  expect((await snapshot()).deepCapture?.tabIds).toEqual([]);
});
