import type { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { startTestServer, type TestServer } from './support/server';

test.describe('tab churn', () => {
  test('fifty tabs opened, navigated, closed and restored: no stale connections or roles once settled', async ({ context, server, snapshot, tabIdOf }) => {
    test.setTimeout(240_000);
    // Ten stream servers, five streams each: under the browser's six per host.
    const streams: TestServer[] = await Promise.all(Array.from({ length: 10 }, () => startTestServer()));
    const pages: Page[] = [];
    for (let n = 0; n < 50; n++) {
      const page = await context.newPage();
      await page.goto(`${server.url}/churn.html?n=${n}&sse=${encodeURIComponent(streams[n % 10]!.url)}`);
      pages.push(page);
    }
    const ids = new Map<Page, number>();
    for (const p of pages) ids.set(p, await tabIdOf(p));

    // Navigate ten away; five of them come back (from the back/forward cache where Chrome allows it).
    for (const p of pages.slice(0, 10)) await p.goto(`${server.url}/plain.html`);
    for (const p of pages.slice(0, 5)) await p.goBack({ waitUntil: 'commit' });
    for (const p of pages.slice(0, 5)) await p.waitForFunction(() => document.readyState === 'complete');
    const restored = await Promise.all(pages.slice(0, 5).map((p) => p.evaluate(() => (window as unknown as { restoredFromCache: boolean }).restoredFromCache)));
    test.info().annotations.push({ type: 'bfcache', description: `${restored.filter(Boolean).length} of 5 pages restored from the back/forward cache` });
    // The back/forward cache is on (as for users), so restores do happen here.
    expect(restored.filter(Boolean).length).toBeGreaterThan(0);
    // Close twenty, the lock holder among them.
    for (const p of pages.slice(10, 30)) await p.close();
    const open = pages.filter((p) => !p.isClosed());
    const onChurn = open.filter((p) => p.url().includes('churn.html'));
    const openIds = new Set(open.map((p) => ids.get(p)!));
    const churnIds = new Set(onChurn.map((p) => ids.get(p)!));

    // Ground truth from the pages themselves.
    const truth = async () => {
      const states = await Promise.all(onChurn.map(async (p) => [ids.get(p)!, await p.evaluate(() => (window as unknown as { es: EventSource }).es.readyState)] as const));
      const holders = await Promise.all(onChurn.map(async (p) => [ids.get(p)!, await p.evaluate(() => (window as unknown as { lockHeld: boolean }).lockHeld)] as const));
      return { states: new Map(states), leader: holders.filter(([, held]) => held).map(([id]) => id) };
    };

    await expect
      .poll(
        async () => {
          const t = await truth();
          const snap = await snapshot();
          const problems: string[] = [];
          for (const c of snap.connections) {
            if (c.state === 'closed') continue;
            if (!churnIds.has(c.tabId)) problems.push(`stale ${c.state} connection ${c.id} in tab ${c.tabId}`);
            else {
              const pageState = t.states.get(c.tabId);
              const expected = pageState === 0 ? 'connecting' : pageState === 1 ? 'open' : 'closed';
              if (c.state !== expected) problems.push(`connection ${c.id}: ${c.state}, page says ${expected}`);
            }
          }
          for (const [tabId, readyState] of t.states) {
            const live = snap.connections.filter((c) => c.tabId === tabId && c.state !== 'closed');
            if (readyState !== 2 && live.length !== 1) problems.push(`tab ${tabId}: ${live.length} live connections, page has 1`);
          }
          for (const tab of snap.tabs) if (!openIds.has(tab.tabId)) problems.push(`closed tab ${tab.tabId} still listed`);
          const held = snap.locks.filter((l) => l.state === 'held' && l.name === 'sse-churn');
          if (held.length !== 1 || held[0]!.tabId !== t.leader[0]) problems.push(`lock held by ${held.map((l) => l.tabId)}, pages say ${t.leader}`);
          const project = snap.projects.find((p) => p.projectKey === 'churn');
          if (!project || project.leaderTabIds.join() !== t.leader.join()) problems.push(`leaders ${project?.leaderTabIds}, pages say ${t.leader}`);
          const followers = new Set(project?.followerTabIds ?? []);
          for (const id of churnIds) if (!t.leader.includes(id) && !followers.has(id)) problems.push(`tab ${id} is not a follower`);
          for (const id of followers) if (!churnIds.has(id)) problems.push(`stale follower ${id}`);
          return problems.slice(0, 8);
        },
        { timeout: 60_000, intervals: [500] },
      )
      .toEqual([]);
    await Promise.all(streams.map((s) => s.close()));
  });
});
