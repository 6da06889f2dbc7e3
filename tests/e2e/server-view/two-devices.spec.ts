/**
 * Issue 13: the server view. One user, one project, two "devices": the
 * fixture's Chromium with the extension (A) and a second, plain Chromium
 * with another user agent (B, a phone). Each holds one connection to the
 * demo server; the panel of A shows this browser's 1, the server's 2, and
 * names the difference. Then failures (404, not JSON) show as one quiet
 * status line. The real DevTools panel: devtools-panel.spec.ts.
 */
import type { Page } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { test, expect } from '../fixtures';
import { openPanelTab, showView } from '../panel/helpers';
import { launchChromium, type Launched } from '../support/chromium';

// The phone's user agent is server data the panel shows: markup in it must stay text.
const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; Device B) <img src=x onerror=alert(1)>';

let demo: DemoServer;
let phone: Launched | undefined;

test.beforeAll(async () => {
  demo = await startDemoServer({ port: 0, limit: 5 });
});
test.afterAll(async () => {
  await demo?.close();
});
test.afterEach(async () => {
  await phone?.close();
  phone = undefined;
});

const unique = (prefix: string) => `${prefix}-${Math.random().toString(36).slice(2, 10)}`;

async function serverCount(userId: string, projectId: string): Promise<number> {
  const r = await fetch(`${demo.url}/api/debug/sse-connections/${userId}/${projectId}`);
  return ((await r.json()) as { count: number }).count;
}

async function openOne(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await expect(page.getByTestId('state-0')).toHaveText('OPEN');
}

async function turnOn(panel: Page, fill: (panel: Page) => Promise<void> = async () => undefined): Promise<void> {
  await showView(panel, 'Project');
  const view = panel.getByTestId('server-view');
  await expect(view.getByTestId('server-status')).toHaveAttribute('data-state', 'off');
  await view.getByTestId('server-enabled').check();
  await fill(panel);
  await view.getByTestId('server-save').click();
}

test('two devices, same user and project: the panel shows browser 1, server 2, and names the difference', async ({ context, extensionId, tabIdOf }) => {
  const userId = unique('u');
  const projectId = unique('p');
  const pageUrl = `${demo.url}/naive.html?projectId=${projectId}&n=1&userId=${userId}`;
  const mine = await context.newPage();
  await openOne(mine, pageUrl);
  phone = await launchChromium({ extension: false, extraArgs: [`--user-agent=${PHONE_UA}`] });
  const other = await phone.context.newPage();
  await openOne(other, pageUrl);
  await expect.poll(() => serverCount(userId, projectId)).toBe(2);

  const panel = await openPanelTab(context, extensionId, await tabIdOf(mine));
  const dialogs: string[] = [];
  panel.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  // The default settings: the demo's template, the user id from the `userId` query parameter.
  await turnOn(panel);
  const view = panel.getByTestId('server-view');
  const summary = view.getByTestId('server-summary');
  await expect(summary).toHaveAttribute('data-server-count', '2');
  await expect(summary).toHaveAttribute('data-browser-count', '1');
  await expect(summary).toContainText('Server holds 2, this browser holds 1.');
  await expect(view.getByTestId('server-diff')).toContainText('1 held elsewhere or not yet reaped: 1 from another browser or device');
  await expect(view.getByTestId('server-status')).toHaveAttribute('data-state', 'ok');
  await expect(view.getByTestId('server-status')).toContainText(`/api/debug/sse-connections/${userId}/${projectId}`);
  // Each server record says who holds it: this browser's tab, and the phone (its user agent shown as text).
  const tabId = await tabIdOf(mine);
  const rows = view.getByTestId('server-connections').locator('tbody tr');
  await expect(rows).toHaveCount(2);
  expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-kind')))).sort()).toEqual(['elsewhere', 'matched']);
  await expect(view.getByTestId('server-connections').locator('tr[data-kind=matched] [data-testid=held-by]')).toHaveText(new RegExp(`^this browser: tab ${tabId} `));
  await expect(view.getByTestId('server-connections').locator('tr[data-kind=elsewhere]')).toContainText('Device B');
  await expect(view.getByTestId('server-connections').locator('tr[data-kind=elsewhere]')).toContainText('<img src=x onerror=alert(1)>');
  expect(await panel.locator('[data-testid=server-view] img').count()).toBe(0);
  expect(dialogs).toEqual([]);
  await expect(view.getByTestId('browser-connections').locator('tbody tr')).toHaveCount(1);

  // The phone closes its page: the panel follows at its next poll.
  await other.close();
  await expect.poll(() => serverCount(userId, projectId)).toBe(1);
  await expect(summary).toHaveAttribute('data-server-count', '1', { timeout: 15_000 });
  await expect(summary).toContainText('Server holds 1, this browser holds 1: the same connections.');
  await expect(view.getByTestId('server-diff')).toHaveCount(0);

  // The settings were kept (storage.sync): a new panel page has them.
  const again = await openPanelTab(context, extensionId, tabId);
  await showView(again, 'Project');
  await expect(again.getByTestId('server-view').getByTestId('server-summary')).toHaveAttribute('data-server-count', '1');
  await again.close();

  // A wrong endpoint (404), then one that answers HTML: one quiet status line, no alert.
  await view.locator('summary').click();
  await view.getByTestId('server-template').fill('/api/no-such-debug/{userId}/{projectId}');
  await view.getByTestId('server-save').click();
  const status = view.getByTestId('server-status');
  await expect(status).toHaveAttribute('data-failure', 'http');
  await expect(status).toContainText('no monitoring endpoint at this URL (404)');
  await expect(status).toContainText('Next try in');
  await view.getByTestId('server-template').fill('/naive.html?u={userId}');
  await view.getByTestId('server-save').click();
  await expect(status).toHaveAttribute('data-failure', 'not-json');
  await expect(status).toContainText('not JSON (text/html)');
  // Nothing listening (a network error, as CORS would be): the same quiet line.
  await view.getByTestId('server-template').fill('http://127.0.0.1:9/debug/{userId}');
  await view.getByTestId('server-save').click();
  await expect(status).toHaveAttribute('data-failure', 'network');
  await expect(status).toContainText('network error or blocked by CORS');
  await expect(panel.getByTestId('server-status')).toHaveCount(1);
  await expect(panel.locator('[role=alert]')).toHaveCount(0);

  // The cookie cannot be read when the panel is a tab (no chrome.devtools): said, nothing asked.
  await view.getByTestId('server-template').fill('/api/debug/sse-connections/{userId}/{projectId}');
  await view.getByTestId('server-user-from').selectOption('cookie');
  await view.getByTestId('server-save').click();
  await expect(status).toHaveAttribute('data-state', 'waiting');
  await expect(status).toContainText('can be read only in the DevTools panel');

  // A template that does not name the user is refused before it is stored.
  await view.getByTestId('server-template').fill('/api/debug/{user}');
  await view.getByTestId('server-save').click();
  await expect(view.getByTestId('server-settings-error')).toContainText('URL template');
});

test('a new 429 of the project asks the server at once', async ({ context, extensionId, tabIdOf }) => {
  const userId = unique('u');
  const projectId = unique('p');
  const first = await context.newPage();
  await openOne(first, `${demo.url}/naive.html?projectId=${projectId}&n=1&userId=${userId}`);
  const panel = await openPanelTab(context, extensionId, await tabIdOf(first));
  await turnOn(panel);
  const view = panel.getByTestId('server-view');
  await expect(view.getByTestId('server-summary')).toHaveAttribute('data-server-count', '1');
  await expect(view.getByTestId('server-status')).not.toHaveAttribute('data-reason', '429');

  // Five more in another tab of this browser: the limit is 5, so the last one is refused.
  const more = await context.newPage();
  await more.goto(`${demo.url}/naive.html?projectId=${projectId}&n=5&userId=${userId}`);
  await expect(more.getByText('CLOSED', { exact: true })).toHaveCount(1);
  await expect(view.getByTestId('server-status')).toHaveAttribute('data-reason', '429');
  await expect(view.getByTestId('server-status')).toContainText('after a new 429');
  await expect(view.getByTestId('server-summary')).toContainText('Server holds 5, this browser holds 5: the same connections.');
});
