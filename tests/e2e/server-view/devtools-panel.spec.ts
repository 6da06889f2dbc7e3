/**
 * Issue 13 in the real DevTools panel: the user id is the demo's cookie,
 * read from the inspected page's `document.cookie` through
 * `devtools.inspectedWindow.eval` (DevTools only). Two browsers carry the
 * same cookie (two devices of one user); each holds one connection.
 */
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { test, expect } from '../fixtures';
import { Cdp } from '../support/cdp';
import { launchChromium, type Launched } from '../support/chromium';

test.use({ devtools: true });

const PHONE_UA = 'Mozilla/5.0 (Linux; Android 14; Device B) Mobile Safari/537.36';

let demo: DemoServer;
let phone: Launched;

test.beforeAll(async () => {
  demo = await startDemoServer({ port: 0, limit: 5 });
});
test.afterAll(async () => {
  await demo?.close();
});
test.beforeEach(async () => {
  phone = await launchChromium({ extension: false, extraArgs: [`--user-agent=${PHONE_UA}`] });
});
let closeCdp: (() => void) | undefined;
test.afterEach(async () => {
  closeCdp?.();
  closeCdp = undefined;
  await phone?.close();
});

test('DevTools panel: user id from the page cookie; browser 1, server 2, the difference named', async ({ context, launched, openPanel }) => {
  const userId = `u-${Math.random().toString(36).slice(2, 10)}`;
  const projectId = `p-${Math.random().toString(36).slice(2, 10)}`;
  // The demo's user cookie, the same in both browsers; the page URLs do not name the user.
  const cookie = { name: 'sse_demo_user', value: userId, url: demo.url };
  await context.addCookies([cookie]);
  await phone.context.addCookies([cookie]);
  const pageUrl = `${demo.url}/naive.html?projectId=${projectId}&n=1`;
  const mine = await context.newPage();
  await mine.goto(pageUrl);
  await expect(mine.getByTestId('state-0')).toHaveText('OPEN');
  const other = await phone.context.newPage();
  await other.goto(pageUrl);
  await expect(other.getByTestId('state-0')).toHaveText('OPEN');
  await expect
    .poll(async () => ((await (await fetch(`${demo.url}/api/debug/sse-connections/${userId}/${projectId}`)).json()) as { count: number }).count)
    .toBe(2);

  const panel = await openPanel(mine);
  const cdp = await Cdp.connectToProfile(launched.userDataDir);
  closeCdp = () => cdp.close();
  const showPanelEverywhere = async (id: string) => {
    const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string; url: string }[] }>('Target.getTargets');
    for (const w of targetInfos.filter((t) => t.type === 'page' && t.url.startsWith('devtools://'))) {
      const { sessionId } = await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId: w.targetId, flatten: true });
      await cdp.evaluate(sessionId, `(() => { globalThis.DevToolsAPI?.showPanel(${JSON.stringify(id)}); return true; })()`).catch(() => undefined);
    }
  };
  const ours = `${panel.url.match(/^chrome-extension:\/\/[^/]+/)![0]}SSEConnections`;
  await panel.evaluate(`(() => { document.querySelector('[data-view=project]').click(); return true; })()`);
  await panel.waitFor(() => document.querySelector('[data-testid=server-view] [data-testid=server-status]')?.getAttribute('data-state') === 'off');
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=server-enabled]') as HTMLInputElement).click();
    const from = document.querySelector('[data-testid=server-user-from]') as HTMLSelectElement;
    from.value = 'cookie';
    from.dispatchEvent(new Event('change', { bubbles: true }));
    return true;
  });
  await panel.waitFor(() => (document.querySelector('[data-testid=server-cookie-name]') as HTMLInputElement | null)?.value === 'sse_demo_user');
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=server-save]') as HTMLButtonElement).click();
    return true;
  });
  // The panel pauses while its document is hidden. Headless Chromium sometimes reports the
  // DevTools window of the inspected tab as hidden (about one run in four, "hidden by the page",
  // document.visibilityState 'hidden'): bring the tab, and so its DevTools, to the front.
  await mine.bringToFront();

  const summary = await panel.waitFor(() => {
    const el = document.querySelector('[data-testid=server-summary]');
    return el?.getAttribute('data-server-count') === '2' ? { text: el.textContent, browser: el.getAttribute('data-browser-count') } : null;
  }, 15_000).catch(async (e: unknown) => {
    throw new Error(`${String(e)}\nserver view: ${await panel.evaluate(() => `${(document.querySelector('[data-testid=server-view]') as HTMLElement | null)?.innerText ?? ''} hidden-by=${document.querySelector('[data-testid=server-status]')?.getAttribute('data-hidden-by')} visibility=${document.visibilityState}`)}`);
  });
  if (!summary) throw new Error('no summary');
  expect(summary.browser).toBe('1');
  expect(summary.text).toContain('Server holds 2, this browser holds 1.');
  const diff = await panel.evaluate(() => document.querySelector('[data-testid=server-diff]')?.textContent ?? '');
  expect(diff).toContain('1 held elsewhere or not yet reaped: 1 from another browser or device');
  const status = await panel.evaluate(() => document.querySelector('[data-testid=server-status]')?.textContent ?? '');
  expect(status).toContain(`/api/debug/sse-connections/${userId}/${projectId}`);
  expect(status).toContain('the "sse_demo_user" cookie');
  const heldBy = await panel.evaluate(() => [...document.querySelectorAll('[data-testid=server-connections] tbody tr')].map((tr) => tr.getAttribute('data-kind')).sort());
  expect(heldBy).toEqual(['elsewhere', 'matched']);

  // Another DevTools panel shown: the server view pauses (no polling); shown again: it asks again.
  await showPanelEverywhere('console');
  await panel.waitFor(() => document.querySelector('[data-testid=server-status]')?.getAttribute('data-hidden-by') === 'devtools');
  await showPanelEverywhere(ours);
  await panel.waitFor(() => document.querySelector('[data-testid=server-summary]')?.getAttribute('data-server-count') === '2', 15_000);
});
