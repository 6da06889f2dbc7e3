/**
 * The real "SSE Connections" panel inside DevTools, driven by real pages:
 * each view shows what the pages did. Saves the screenshots under docs/.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { parseCapture } from '../../../src/panel/model/capture';
import { Cdp } from '../support/cdp';
import { test, expect } from '../fixtures';
import type { PanelHandle } from '../support/devtools';
import { HOSTILE_DATA, setDevtoolsPreferences, saveDoc, startHostileServer } from './helpers';

test.use({ devtools: true });

const show = (panel: PanelHandle, view: string) =>
  panel.evaluate(`(() => { document.querySelector('[data-view=${view}]').click(); return true; })()`);

const viewText = (panel: PanelHandle, view: string) =>
  panel.evaluate<string>(`document.querySelector('[data-testid=view-${view}]')?.innerText ?? ''`);

async function snap(panel: PanelHandle, name: string): Promise<void> {
  // Let the last update render before the picture.
  await new Promise((r) => setTimeout(r, 400));
  const png = await panel.screenshot();
  expect(png.length).toBeGreaterThan(5000);
  saveDoc(name, png);
}

async function openAt(page: Page, url: string): Promise<Page> {
  await page.goto(url);
  return page;
}

test('every view in the DevTools panel shows what the pages did (leader, follower, two naive leaders, a 429)', async ({ context, launched, server, openPanel, tabIdOf }) => {
  // Undocked DevTools windows, so the screenshots show the panel at full width.
  if (context.pages().length === 0) await context.newPage();
  expect(await setDevtoolsPreferences(launched.userDataDir, { currentDockState: 'undocked' })).toBe(true);
  const leader = await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=1`);
  await expect.poll(() => leader.evaluate(() => (window as unknown as { role: string }).role)).toBe('leader');
  const follower = await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=2`);
  await openAt(await context.newPage(), `${server.url}/panel/naive-leader.html?projectId=p2&n=1`);
  await openAt(await context.newPage(), `${server.url}/panel/naive-leader.html?projectId=p2&n=2`);
  const leaderTab = await tabIdOf(leader);
  const followerTab = await tabIdOf(follower);

  const panel = await openPanel(follower);
  await panel.setSize(1100, 560);
  // The follower asks for its own stream and is refused, after DevTools opened (so the body is readable).
  await follower.evaluate(() => {
    (window as unknown as { refused: EventSource }).refused = new EventSource('/sse/status?code=429&retryAfter=60&limit=5&current=5&projectId=p1');
  });

  // Overview: role badge with its source, counts, limit usage, anomalies.
  await panel.waitFor(() => document.querySelector('[data-testid=role-badge]')?.getAttribute('data-role') === 'follower');
  expect(await panel.evaluate(() => document.querySelector('[data-testid=role-source]')?.textContent)).toContain('from Web Locks');
  await panel.waitFor(() => document.querySelector('[data-testid=limit-usage]')?.textContent?.includes('5 / 5 in use'));
  await panel.waitFor(() => document.querySelector('[data-testid=anomaly][data-kind=split-brain]')?.textContent?.includes('What to do'));
  await panel.waitFor(() => Number(document.querySelector('[data-testid=counts-all] [data-count=open]')?.textContent?.split(' ')[0]) >= 3);
  const counts = () =>
    panel.evaluate(() =>
      ['counts-tab', 'counts-project', 'counts-all'].map((id) =>
        ['open', 'connecting', 'closed'].map((s) => Number(document.querySelector(`[data-testid=${id}] [data-count=${s}]`)?.textContent?.split(' ')[0])),
      ),
    );
  // The follower: only its refused attempt (closed once the 429 came back);
  // project p1: the leader's stream and that attempt; all tabs: leader + two naive leaders.
  await expect.poll(counts).toEqual([
    [0, 0, 1],
    [1, 0, 1],
    [3, 0, 1],
  ]);
  await snap(panel, 'view-overview.png');

  // Project: both tabs with roles, this tab highlighted, channel traffic, leader history.
  await show(panel, 'project');
  await panel.waitFor(() => document.querySelectorAll('[data-testid=project-tabs] tbody tr').length === 2);
  const projectRows = await panel.evaluate(() =>
    [...document.querySelectorAll('[data-testid=project-tabs] tbody tr')].map((tr) => ({
      tabId: Number(tr.getAttribute('data-tab-id')),
      role: tr.getAttribute('data-role'),
      current: tr.getAttribute('aria-current'),
      posted: Number(tr.querySelector('[data-testid=posted]')?.textContent),
      received: Number(tr.querySelector('[data-testid=received]')?.textContent),
    })),
  );
  expect(projectRows).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ tabId: leaderTab, role: 'leader', current: null }),
      expect.objectContaining({ tabId: followerTab, role: 'follower', current: 'true' }),
    ]),
  );
  expect(projectRows.find((r) => r.tabId === leaderTab)?.posted).toBeGreaterThan(0);
  expect(projectRows.find((r) => r.tabId === followerTab)?.received).toBeGreaterThan(0);
  expect(await viewText(panel, 'project')).toContain(`tab ${leaderTab} became leader, still leading`);

  // Connections: all tabs, select the refused one: its failed attempt and its events.
  await show(panel, 'connections');
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=view-connections] .view-bar input[type=checkbox]') as HTMLInputElement).click();
    return true;
  });
  await panel.waitFor(() => document.querySelectorAll('[data-testid=connections] tbody tr').length >= 4);
  await panel.evaluate(() => {
    const row = [...document.querySelectorAll('[data-testid=connections] tbody tr')].find((tr) => tr.textContent?.includes('/sse/status'));
    (row as HTMLElement).click();
    return true;
  });
  await panel.waitFor(() => document.querySelector('[data-testid=failed-attempts] tbody tr')?.textContent?.includes('429'));
  await panel.waitFor(() => document.querySelectorAll('[data-testid=connection-events] .log-scroll [role=row]').length >= 2);
  await snap(panel, 'view-connections.png');

  // Event log: every event of this tab; a channel message's JSON in the detail pane.
  await show(panel, 'log');
  await panel.waitFor(() => document.querySelector('[data-testid=event-log] .log-scroll [data-kind="bc:receive"]'));
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=event-log] .log-scroll [data-kind="bc:receive"]') as HTMLElement).click();
    return true;
  });
  const data = await panel.waitFor(() => document.querySelector('[data-testid=event-data]')?.textContent ?? '');
  expect(JSON.parse(data)).toMatchObject({ type: 'msg' });
  expect(data).toContain('\n  "type": "msg"');
  await snap(panel, 'view-event-log.png');

  // Rate limits: Retry-After, limit, current, a live countdown and the body from devtools.network.
  await show(panel, 'rate-limits');
  await panel.waitFor(() => document.querySelector('[data-testid=rate-limits] tbody tr'));
  const rl = await panel.evaluate(() => {
    const tr = document.querySelector('[data-testid=rate-limits] tbody tr')!;
    return ['retry-after', 'limit', 'current', 'countdown'].map((id) => tr.querySelector(`[data-testid=${id}]`)?.textContent);
  });
  expect(rl.slice(0, 3)).toEqual(['1 m 00 s', '5', '5']);
  expect(rl[3]).toMatch(/^retry allowed in \d+ s$/);
  const first = Number(rl[3]?.match(/\d+/)?.[0]);
  // DevTools hands over the body when it has it; on a loaded machine that can take longer than the default wait.
  await panel.waitFor(() => document.querySelector('[data-testid=response-body]')?.textContent?.includes('too_many_connections'), 30_000);
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=rate-limits] details') as HTMLDetailsElement).open = true;
    return true;
  });
  await expect
    .poll(async () => Number((await panel.evaluate<string>(`document.querySelector('[data-testid=countdown]').textContent`)).match(/\d+/)?.[0]))
    .toBeLessThan(first);
  await snap(panel, 'view-rate-limits.png');

  // Channels and locks: who sends and receives on chat:p1; the held and the queued lock.
  await show(panel, 'channels');
  await panel.waitFor(() => document.querySelector('[data-testid=channels] tr[data-channel="chat:p1"]'));
  const channel = await panel.evaluate(() => {
    const tr = document.querySelector('[data-testid=channels] tr[data-channel="chat:p1"]')!;
    return { senders: tr.querySelector('[data-testid=senders]')?.textContent, receivers: tr.querySelector('[data-testid=receivers]')?.textContent };
  });
  expect(channel.senders).toMatch(new RegExp(`^${leaderTab} \\(\\d+\\)$`));
  expect(channel.receivers).toContain(`${followerTab} (`);
  const lockStates = await panel.evaluate(() => [...document.querySelectorAll('[data-testid=locks] tbody tr')].map((tr) => tr.getAttribute('data-state')));
  expect(lockStates.slice(0, 2)).toEqual(['held', 'queued']);
  await snap(panel, 'view-channels-locks.png');

  await show(panel, 'settings');
  await panel.waitFor(() => (document.querySelector('[data-testid=setting-logEntries]') as HTMLInputElement | null)?.value === '100000');
  await snap(panel, 'view-settings.png');

  // The panel follows DevTools' theme.
  expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toMatch(/^(light|dark)$/);
});

test('"Reload tab" in the leader’s panel hands the lead to the follower, and the Project view shows the change', async ({ context, launched, server, openPanel, tabIdOf }) => {
  if (context.pages().length === 0) await context.newPage();
  expect(await setDevtoolsPreferences(launched.userDataDir, { currentDockState: 'undocked' })).toBe(true);
  const leader = await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=1`);
  await expect.poll(() => leader.evaluate(() => (window as unknown as { role: string }).role)).toBe('leader');
  const follower = await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=2`);
  const leaderTab = await tabIdOf(leader);
  const followerTab = await tabIdOf(follower);
  const panel = await openPanel(leader);
  await show(panel, 'project');
  await panel.waitFor(() => document.querySelectorAll('[data-testid=leader-changes] li').length === 1);
  await panel.evaluate(() => {
    (document.querySelector('[data-testid=reload-tab]') as HTMLButtonElement).click();
    return true;
  });
  await expect.poll(() => follower.evaluate(() => (window as unknown as { role: string }).role)).toBe('leader');
  await panel.waitFor(() => document.querySelectorAll('[data-testid=leader-changes] li').length >= 2, 15_000);
  const text = await viewText(panel, 'project');
  expect(text).toContain(`tab ${followerTab} became leader, still leading`);
  expect(text).toMatch(new RegExp(`tab ${leaderTab} \\(this tab\\) became leader, led .+ until`));
  // The reloaded tab says what it is once its page has run again (slow on a loaded machine): wait for it.
  await expect
    .poll(() =>
      panel.evaluate(() =>
        Object.fromEntries([...document.querySelectorAll('[data-testid=project-tabs] tbody tr')].map((tr) => [tr.getAttribute('data-tab-id'), tr.getAttribute('data-role')])),
      ),
    )
    .toEqual({ [leaderTab]: 'follower', [followerTab]: 'leader' });
  await panel.setSize(1100, 420);
  await snap(panel, 'view-project.png');
});

test('hostile page data in the DevTools panel: markup and javascript: URLs stay text', async ({ context, server, openPanel }) => {
  const hostileServer = await startHostileServer();
  try {
    const page = await openAt(await context.newPage(), `${server.url}/panel/hostile.html?stream=${encodeURIComponent(hostileServer.url)}`);
    const panel = await openPanel(page);
    // Anything that ran page markup as code in the panel would call these.
    await panel.evaluate(() => {
      const w = window as unknown as { __ran: number };
      w.__ran = 0;
      window.alert = () => void w.__ran++;
      return true;
    });
    for (const view of ['overview', 'project', 'connections', 'log', 'channels']) {
      await show(panel, view);
      await new Promise((r) => setTimeout(r, 300));
      expect(await panel.evaluate(() => document.querySelectorAll('img, a[href], [onerror], b, i, iframe, object, embed').length)).toBe(0);
    }
    await show(panel, 'log');
    // The data message (the stream also sends a named event with JSON data).
    await panel.waitFor(() => {
      const row = [...document.querySelectorAll('[data-testid=event-log] .log-scroll [data-kind="es:message"]')].find((r) =>
        r.textContent?.includes('<img src=x'),
      ) as HTMLElement | undefined;
      row?.click();
      return row !== undefined;
    });
    expect(await panel.waitFor(() => document.querySelector('[data-testid=event-data]')?.textContent)).toBe(HOSTILE_DATA);
    expect(await panel.evaluate(() => document.querySelectorAll('img').length)).toBe(0);
    expect(await panel.evaluate(() => (window as unknown as { __ran: number }).__ran)).toBe(0);
  } finally {
    await hostileServer.close();
  }
});

test('follows DevTools’ dark theme', async ({ context, launched, server, openPanel }) => {
  if (context.pages().length === 0) await context.newPage();
  expect(await setDevtoolsPreferences(launched.userDataDir, { currentDockState: 'undocked', 'ui-theme': 'dark' })).toBe(true);
  const leader = await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=1`);
  await openAt(await context.newPage(), `${server.url}/panel/lock-leader.html?projectId=p1&n=2`);
  const panel = await openPanel(leader);
  await panel.setSize(1100, 420);
  expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
  expect(await panel.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(32, 33, 36)');
  await panel.waitFor(() => document.querySelector('[data-testid=role-badge]')?.getAttribute('data-role') === 'leader');
  await panel.waitFor(() => Number(document.querySelector('[data-testid=connections] [data-testid=messages]')?.textContent) > 3);
  await snap(panel, 'view-overview-dark.png');
});

test('Export works from the real DevTools panel and gives a capture the importer accepts', async ({ context, launched, server, openPanel, tabIdOf }) => {
  const page = await openAt(await context.newPage(), `${server.url}/inline-es.html`);
  const tabId = await tabIdOf(page);
  const panel = await openPanel(page);
  await panel.waitFor(() => Number(document.querySelector('[data-testid=connections] [data-testid=messages]')?.textContent) > 2);
  const cdp = await Cdp.connectToProfile(launched.userDataDir);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sse-export-'));
  try {
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: dir, eventsEnabled: true });
    await panel.evaluate(() => {
      (document.querySelector('[data-testid=export]') as HTMLButtonElement).click();
      return true;
    });
    await expect.poll(() => readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([expect.stringMatching(/^sse-capture-\d{8}-\d{6}\.json$/)]);
  } finally {
    cdp.close();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.json'))!;
  const parsed = parseCapture(readFileSync(path.join(dir, file), 'utf8'));
  expect(parsed.ok).toBe(true);
  if (!parsed.ok) return;
  expect(parsed.capture.connections).toContainEqual(expect.objectContaining({ tabId, url: `${server.url}/sse/ticker?intervalMs=150`, state: 'open' }));
  expect(parsed.capture.events.filter((e) => e.tabId === tabId && e.kind === 'es:message').length).toBeGreaterThan(2);
});
