/**
 * The chat demo in real Chromium: six tabs share one server connection, and a leader
 * change loses and duplicates nothing.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { startDemoServer, type DemoServer } from '../../../demo/server/index.js';
import { launchBrowser, postMessage, uniqueProject } from './support.js';

let server: DemoServer;
let browser: Browser;
let context: BrowserContext;

test.beforeAll(async () => {
  server = await startDemoServer({ port: 0, limit: 5 });
  browser = await launchBrowser();
});
test.afterAll(async () => {
  await browser?.close();
  await server?.close();
});
test.beforeEach(async () => {
  context = await browser.newContext();
  // what the extension's page script provides
  await context.addInitScript(() => {
    const w = window as unknown as { __declared: unknown[]; __SSE_DEVTOOLS_HOOK__: unknown };
    w.__declared = [];
    w.__SSE_DEVTOOLS_HOOK__ = { declareRole: (info: unknown) => w.__declared.push(info) };
  });
});
test.afterEach(async () => {
  await context.close();
});

async function openTabs(projectId: string, n: number): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < n; i += 1) {
    const page = await context.newPage();
    // one after the other, so that every tab carries the user cookie the first response set
    await page.goto(`${server.url}/chat.html?projectId=${projectId}`);
    await page.waitForFunction(() => {
      const r = document.querySelector('[data-testid="role"]')?.textContent;
      return r === 'leader' || r === 'follower';
    });
    pages.push(page);
  }
  return pages;
}

const roleOf = (p: Page): Promise<string | null> => p.locator('[data-testid="role"]').textContent();
const receivedIds = (p: Page): Promise<string[]> => p.evaluate(() => (window.__chat?.received ?? []).map((m) => String(m.id)));

async function userId(): Promise<string> {
  const c = (await context.cookies()).find((k) => k.name === 'sse_demo_user');
  if (!c) throw new Error('no user cookie');
  return c.value;
}

async function serverConnections(projectId: string): Promise<number> {
  const res = await fetch(`${server.url}/api/debug/sse-connections/${await userId()}/${projectId}`);
  return ((await res.json()) as { count: number }).count;
}

async function leaderOf(pages: Page[]): Promise<Page[]> {
  const roles = await Promise.all(pages.map(roleOf));
  return pages.filter((_, i) => roles[i] === 'leader');
}

test('six tabs with a limit of 5: one server connection, every tab gets every message', async () => {
  const projectId = uniqueProject('six');
  const pages = await openTabs(projectId, 6);
  const leaders = await leaderOf(pages);
  expect(leaders).toHaveLength(1);
  await expect(leaders[0]!.locator('[data-testid="state"]')).toContainText('stream open');
  await expect.poll(() => serverConnections(projectId)).toBe(1);

  const ids: string[] = [];
  for (let i = 0; i < 20; i += 1) ids.push(String(await postMessage(server.url, projectId, `hello ${i}`)));
  for (const p of pages) {
    await expect.poll(() => receivedIds(p)).toEqual(ids);
    await expect(p.locator('[data-testid="messages"] li')).toHaveCount(20);
    await expect(p.locator('[data-testid="messages"] li').last()).toHaveText('hello 19');
  }
  // still one connection, still one leader
  expect(await serverConnections(projectId)).toBe(1);
  expect(await leaderOf(pages)).toHaveLength(1);
  for (const p of pages) {
    const declared = await p.evaluate(() => (window as unknown as { __declared: unknown[] }).__declared);
    expect(declared).toEqual([{ projectKey: projectId, role: p === leaders[0] ? 'leader' : 'follower' }]);
  }
  const followerBanner = pages.find((p) => p !== leaders[0])!.locator('#sse-limit-banner');
  await expect(followerBanner).toBeVisible();
  await expect(followerBanner).toHaveAttribute('role', 'status');
  await expect(followerBanner).toContainText('receives messages through another window');
  await expect(leaders[0]!.locator('#sse-limit-banner')).toHaveCount(0);
});

test('closing the leader: a new leader within 2 s, 200 messages none lost none duplicated', async () => {
  const projectId = uniqueProject('failover');
  const pages = await openTabs(projectId, 4);
  const [leader] = await leaderOf(pages);
  expect(leader).toBeDefined();
  await expect(leader!.locator('[data-testid="state"]')).toContainText('stream open');
  const rest = pages.filter((p) => p !== leader);

  const ids: string[] = [];
  let posting = true;
  // Post as fast as the server takes them, so that messages arrive while no tab holds a
  // stream: only the Last-Event-ID handoff can deliver those.
  const poster = (async () => {
    for (let i = 0; i < 200; i += 1) ids.push(String(await postMessage(server.url, projectId, `m${i}`)));
    posting = false;
  })();

  // close the leader while messages flow
  await expect.poll(() => ids.length, { intervals: [5] }).toBeGreaterThanOrEqual(30);
  await leader!.close();
  const closedAt = Date.now();
  let electedAt = 0;
  await expect
    .poll(
      async () => {
        const l = await leaderOf(rest);
        if (l.length === 1 && electedAt === 0) electedAt = Date.now();
        return l.length;
      },
      { intervals: [25], timeout: 10_000 },
    )
    .toBe(1);
  const failoverMs = electedAt - closedAt;
  console.log(`new leader after ${failoverMs} ms; posting still running: ${posting}`);
  expect(failoverMs).toBeLessThan(2000);

  await poster;
  expect(ids).toHaveLength(200);
  const all = new Set(ids);
  for (const p of rest) {
    await expect
      .poll(async () => (await receivedIds(p)).filter((id) => all.has(id)).length, { timeout: 15_000 })
      .toBeGreaterThanOrEqual(200)
      .catch(async (err: unknown) => {
        const got = new Set(await receivedIds(p));
        const info = await p.evaluate(() => window.__chat?.connection.getConnectionInfo());
        throw new Error(`missing ${ids.filter((id) => !got.has(id)).join(',')} in ${JSON.stringify(info)}: ${String(err)}`);
      });
    const got = (await receivedIds(p)).filter((id) => all.has(id));
    expect(new Set(got).size, 'no duplicates').toBe(got.length);
    expect([...got].sort((a, b) => Number(a) - Number(b)), 'none lost').toEqual(ids);
  }
  await expect.poll(() => serverConnections(projectId)).toBe(1);
});
