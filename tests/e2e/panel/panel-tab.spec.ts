/**
 * The panel page opened as an ordinary tab (`panel.html?tabId=N`): the fast
 * way to drive every view with real pages, the real worker and real events.
 * The real DevTools panel is covered in panel-devtools.spec.ts.
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { test, expect } from '../fixtures';
import { buildCapture } from '../../../src/panel/model/capture';
import type { LogEntry, Snapshot } from '../../../src/shared/protocol';
import { HOSTILE_DATA, openPanelTab, showView, startHostileServer } from './helpers';

const rows = (panel: Page, testId = 'event-log') => panel.locator(`[data-testid=${testId}] .log-scroll [role=row]`);
const shownCount = async (panel: Page) => Number((await panel.getByTestId('log-count').textContent())?.match(/^(\d+) of/)?.[1] ?? NaN);
const totalCount = async (panel: Page) => Number((await panel.getByTestId('log-count').textContent())?.match(/of (\d+) events/)?.[1] ?? NaN);
const kindsShown = (panel: Page) => rows(panel).evaluateAll((els) => [...new Set(els.map((e) => e.getAttribute('data-kind')))]);

test.describe('the panel as a tab', () => {
  test('event log: every event, filters by kind, connection, channel, text and regex; pause; JSON detail', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/panel/lock-leader.html?projectId=p1&intervalMs=100`);
    const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
    await showView(panel, 'Event log');
    await expect.poll(() => shownCount(panel)).toBeGreaterThan(10);
    expect(await kindsShown(panel)).toEqual(expect.arrayContaining(['es:message', 'bc:post']));

    // Kind
    await panel.getByTestId('filter-kind').selectOption('messages');
    await expect.poll(() => kindsShown(panel)).toEqual(['es:message']);
    // Connection: the one EventSource of the page
    await panel.getByTestId('filter-kind').selectOption('');
    const connectionOption = await panel.getByTestId('filter-connection').locator('option').nth(1).getAttribute('value');
    await panel.getByTestId('filter-connection').selectOption(connectionOption!);
    await expect.poll(async () => (await kindsShown(panel)).every((k) => k?.startsWith('es:'))).toBe(true);
    await panel.getByTestId('filter-connection').selectOption('');
    // Channel
    await panel.getByTestId('filter-channel').selectOption('chat:p1');
    await expect.poll(() => kindsShown(panel)).toEqual(expect.arrayContaining(['bc:post']));
    expect((await kindsShown(panel)).every((k) => k?.startsWith('bc:'))).toBe(true);
    await panel.getByTestId('filter-channel').selectOption('');

    // Text, then regex, then a bad regex
    await panel.getByTestId('filter-text').fill('"n":3}');
    await expect.poll(() => panel.locator('[data-testid=event-log] .log-scroll .c-data').allTextContents()).toEqual(expect.arrayContaining(['{"n":3}']));
    await panel.getByTestId('filter-regex').check();
    await panel.getByTestId('filter-text').fill('^\\{"n":[12]\\}$');
    await expect.poll(() => panel.locator('[data-testid=event-log] .log-scroll .c-data').allTextContents()).toEqual(['{"n":1}', '{"n":2}']);
    await panel.getByTestId('filter-text').fill('({"n"');
    await expect(panel.getByTestId('filter-error')).toContainText('invalid regular expression');
    await expect(panel.getByTestId('filter-text')).toHaveAttribute('aria-invalid', 'true');
    await panel.getByTestId('filter-text').fill('');
    await panel.getByTestId('filter-regex').uncheck();
    await expect(panel.getByTestId('filter-error')).toHaveCount(0);

    // Pause: the list stands still while events keep coming, resume shows them.
    await panel.getByTestId('pause').click();
    const frozen = await totalCount(panel);
    await expect(panel.getByTestId('log-count')).toContainText('new while paused');
    expect(await totalCount(panel)).toBe(frozen);
    await panel.getByTestId('pause').click();
    await expect.poll(() => totalCount(panel)).toBeGreaterThan(frozen);

    // Detail pane: JSON data pretty-printed, as text.
    await panel.getByTestId('filter-kind').selectOption('es:message');
    await rows(panel).first().click();
    await expect(panel.getByTestId('event-data')).toHaveText(/^\{\n {2}"n": \d+\n\}$/);

    // Keyboard: arrows move the selection in the list.
    const selectedSeq = () => panel.locator('[data-testid=event-log] [aria-selected=true]').getAttribute('data-seq');
    const before = Number(await selectedSeq());
    await panel.locator('[data-testid=event-log] .log-scroll').focus();
    await panel.keyboard.press('ArrowDown');
    await expect.poll(async () => Number(await selectedSeq())).toBeGreaterThan(before);
    await panel.keyboard.press('Home');
    await expect(panel.locator('[data-testid=event-log] [aria-selected=true] .c-kind')).toHaveText('es:message');
  });

  test('outside DevTools the panel follows prefers-color-scheme', async ({ context, extensionId }) => {
    const panel = await openPanelTab(context, extensionId, 1);
    await panel.emulateMedia({ colorScheme: 'dark' });
    expect(await panel.evaluate(() => document.documentElement.dataset.theme)).toBeUndefined();
    await expect.poll(() => panel.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(32, 33, 36)');
    await panel.emulateMedia({ colorScheme: 'light' });
    await expect.poll(() => panel.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
  });

  test('tabs move with the arrow keys and say which one is selected', async ({ context, extensionId }) => {
    const panel = await openPanelTab(context, extensionId, 1);
    await panel.getByRole('tab', { name: 'Overview' }).focus();
    await panel.keyboard.press('ArrowRight');
    await expect(panel.getByRole('tab', { name: 'Project' })).toHaveAttribute('aria-selected', 'true');
    await expect(panel.getByRole('tab', { name: 'Project' })).toBeFocused();
    await panel.keyboard.press('End');
    await expect(panel.getByRole('tab', { name: 'Settings' })).toHaveAttribute('aria-selected', 'true');
    await expect(panel.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-settings');
  });

  test('connections: selecting one shows its events, its failed attempts and a cURL command', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/refused.html?projectId=p1&retryAfter=30`);
    const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
    await showView(panel, 'Connections');
    const row = panel.locator('[data-testid=connections] tbody tr').first();
    await expect(row.getByTestId('http-status')).toHaveText('429');
    await row.click();
    await expect(panel.locator('[data-testid=failed-attempts] tbody tr').first()).toContainText('429');
    await expect(panel.locator('[data-testid=failed-attempts] tbody tr').first()).toContainText('30 s');
    await expect(rows(panel, 'connection-events').first()).toBeVisible();
    expect(await rows(panel, 'connection-events').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).toEqual(
      expect.arrayContaining(['es:create', 'es:error']),
    );
    const curl = `curl --no-buffer -H 'Accept: text/event-stream' -H 'Cache-Control: no-cache' --url '${server.url}/sse/status?code=429&retryAfter=30&limit=5&current=5&projectId=p1'`;
    await expect(panel.getByTestId('curl-command')).toHaveValue(curl);
    await panel.getByTestId('copy-curl').click();
    await expect(panel.getByRole('status').filter({ hasText: 'Copied.' })).toBeVisible();
    // Paste it somewhere to see what the clipboard holds.
    await page.bringToFront();
    await page.evaluate(() => {
      const area = document.createElement('textarea');
      area.id = 'paste';
      document.body.append(area);
      area.focus();
    });
    await page.keyboard.press('ControlOrMeta+V');
    expect(await page.locator('#paste').inputValue()).toBe(curl);
    await panel.bringToFront();
    // Keyboard selection in the table.
    const page2 = await context.newPage();
    await page2.goto(`${server.url}/inline-es.html`);
    await panel.getByRole('checkbox', { name: 'All tabs' }).check();
    await expect(panel.locator('[data-testid=connections] tbody tr')).toHaveCount(2);
    await panel.locator('[data-testid=connections]').focus();
    await panel.keyboard.press('Home');
    const first = await panel.locator('[data-testid=connections] tbody tr[aria-selected=true]').getAttribute('data-connection-id');
    await panel.keyboard.press('ArrowDown');
    await expect(panel.locator('[data-testid=connections] tbody tr[aria-selected=true]')).not.toHaveAttribute('data-connection-id', first!);
  });

  test('a fetch-based stream (POST): transport fetch, its events, and -X POST in the cURL command', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/panel/fetch-stream.html`);
    const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
    await showView(panel, 'Connections');
    const row = panel.locator('[data-testid=connections] tbody tr').first();
    await expect(row).toContainText('fetch');
    await row.click();
    await expect(panel.getByTestId('curl-command')).toHaveValue(new RegExp(`^curl --no-buffer -X 'POST' .* --url '${server.url}/sse/ticker\\?intervalMs=150&count=20&projectId=p9'$`));
    await expect.poll(async () => (await rows(panel, 'connection-events').evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')))).includes('fetch:message')).toBe(true);
  });

  test('export, then import, round-trips the capture', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/panel/lock-leader.html?projectId=p1&intervalMs=100`);
    const tabId = await tabIdOf(page);
    const panel = await openPanelTab(context, extensionId, tabId);
    await showView(panel, 'Event log');
    await expect.poll(() => totalCount(panel)).toBeGreaterThan(10);
    await page.close(); // a still capture, so both sides can be compared

    const [download] = await Promise.all([panel.waitForEvent('download'), panel.getByTestId('export').click()]);
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as Snapshot & { events: LogEntry[] };
    expect(exported.schemaVersion).toBe(1);
    expect(exported.connections.some((c) => c.tabId === tabId && c.url.includes('/sse/ticker'))).toBe(true);
    expect(exported.events.length).toBeGreaterThan(10);
    expect(exported.events.some((e) => e.kind === 'es:message')).toBe(true);

    await panel.getByTestId('import-file').setInputFiles({ name: 'capture.json', mimeType: 'application/json', buffer: readFileSync(file) });
    await expect(panel.getByTestId('imported-banner')).toContainText('capture.json');
    await panel.getByRole('checkbox', { name: 'All tabs' }).check();
    await expect.poll(() => totalCount(panel)).toBe(exported.events.length);
    await showView(panel, 'Overview');
    await expect(panel.locator('[data-testid=connections] tbody tr').first()).toContainText('/sse/ticker');

    // Exporting the imported capture gives the same file back.
    const [again] = await Promise.all([panel.waitForEvent('download'), panel.getByTestId('export').click()]);
    expect(JSON.parse(readFileSync(await again.path(), 'utf8'))).toEqual(exported);

    await panel.getByTestId('back-to-live').click();
    await expect(panel.getByTestId('imported-banner')).toHaveCount(0);
  });

  test('a bad or hostile capture file: a clear error, or inert text', async ({ context, extensionId }) => {
    const panel = await openPanelTab(context, extensionId, 7);
    let dialogs = 0;
    panel.on('dialog', (d) => {
      dialogs++;
      void d.dismiss();
    });
    await panel.getByTestId('import-file').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect(panel.getByTestId('toolbar-error')).toContainText('notes.txt: The file is not JSON');

    const snapshot: Snapshot = {
      schemaVersion: 1,
      generatedAt: Date.now(),
      tabs: [{ tabId: 7, url: 'javascript:alert(1)', title: HOSTILE_DATA }],
      connections: [
        {
          id: '7.x.1', tabId: 7, frameId: 0, url: 'javascript:alert(1)//' + HOSTILE_DATA, projectKey: HOSTILE_DATA, transport: 'eventsource',
          state: 'open', messageCount: 1, bytes: 1, lastEventId: HOSTILE_DATA, reconnects: 0, errorCount: 0, openedAt: Date.now(), closedAt: null, method: 'GET', withCredentials: false, failedAttempts: [],
        },
      ],
      channels: [{ id: '7.x.2', tabId: 7, name: HOSTILE_DATA, projectKey: HOSTILE_DATA, posted: 1, received: 0, open: true }],
      locks: [],
      rateLimits: [],
      projects: [],
      anomalies: [{ kind: 'split-brain', projectKey: HOSTILE_DATA, tabIds: [7], message: HOSTILE_DATA, since: Date.now() }],
      stats: { droppedByPage: 0, invalid: 0, evicted: 0, accepted: 1 },
    };
    const events: LogEntry[] = [{ seq: 1, t: Date.now(), tabId: 7, frameId: 0, kind: 'es:message', ref: '7.x.1', name: 'javascript:alert(1)', type: HOSTILE_DATA, preview: HOSTILE_DATA, size: HOSTILE_DATA.length }];
    const bad = JSON.parse(JSON.stringify(buildCapture(snapshot, events)));
    bad.connections[0].state = '<b>open</b>';
    await panel.getByTestId('import-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await expect(panel.getByTestId('toolbar-error')).toContainText('bad.json: The capture is not valid at connections.0.state');

    const hostile = JSON.stringify(buildCapture(snapshot, events)).replace('"schemaVersion":1', '"schemaVersion":1,"__proto__":{"polluted":1}');
    await panel.getByTestId('import-file').setInputFiles({ name: 'hostile.json', mimeType: 'application/json', buffer: Buffer.from(hostile) });
    await expect(panel.getByTestId('imported-banner')).toBeVisible();
    for (const view of ['Overview', 'Connections', 'Event log', 'Channels & locks']) {
      await showView(panel, view);
      await expect(panel.getByTestId(`view-${{ Overview: 'overview', Connections: 'connections', 'Event log': 'log', 'Channels & locks': 'channels' }[view]}`)).toContainText(HOSTILE_DATA);
      expect(await panel.evaluate(() => document.querySelectorAll('img, a[href], [onerror], b').length)).toBe(0);
    }
    await showView(panel, 'Event log');
    await rows(panel).first().click();
    await expect(panel.getByTestId('event-data')).toHaveText(HOSTILE_DATA);
    expect(await panel.evaluate(() => ({} as { polluted?: number }).polluted)).toBeUndefined();
    expect(dialogs).toBe(0);
  });

  test('hostile page data (markup in data, names, titles; a javascript: URL) renders as inert text', async ({ context, server, extensionId, tabIdOf }) => {
    const hostileServer = await startHostileServer();
    try {
      let dialogs = 0;
      context.on('page', (p) => p.on('dialog', (d) => { dialogs++; void d.dismiss(); }));
      const page = await context.newPage();
      page.on('dialog', (d) => { dialogs++; void d.dismiss(); });
      await page.goto(`${server.url}/panel/hostile.html?stream=${encodeURIComponent(hostileServer.url)}`);
      const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
      panel.on('dialog', (d) => { dialogs++; void d.dismiss(); });
      await showView(panel, 'Event log');
      await expect.poll(() => panel.locator('[data-testid=event-log] .log-scroll .c-data').allTextContents()).toEqual(expect.arrayContaining([HOSTILE_DATA]));
      await panel.locator('[data-testid=event-log] [data-kind=es\\:message]').first().click();
      await expect(panel.getByTestId('event-data')).toHaveText(HOSTILE_DATA);
      for (const view of ['Overview', 'Project', 'Connections', 'Event log', 'Channels & locks']) {
        await showView(panel, view);
        await panel.waitForTimeout(200);
        expect(await panel.evaluate(() => document.querySelectorAll('img, a[href], [onerror], b, i, iframe, object, embed').length)).toBe(0);
      }
      await showView(panel, 'Connections');
      await panel.getByRole('checkbox', { name: 'All tabs' }).check();
      await expect(panel.getByTestId('view-connections')).toContainText(hostileServer.url);
      // The browser refuses to fetch it, but the page did create it: the panel shows the URL as text.
      expect(await page.evaluate(() => (window as unknown as { js?: EventSource }).js?.url)).toMatch(/^javascript:alert\(1\)/);
      await expect(panel.getByTestId('view-connections')).toContainText('javascript:alert(1)//<img src=x onerror=alert(2)>');
      await showView(panel, 'Channels & locks');
      await expect(panel.getByTestId('channels')).toContainText('<img src=x onerror=alert(4)>');
      expect(dialogs).toBe(0);
    } finally {
      await hostileServer.close();
    }
  });

  test('100,000 events: the list stays a few dozen rows, filtering and keyboard work', async ({ context, extensionId }) => {
    const n = 100_000;
    const t0 = Date.now();
    const events: LogEntry[] = Array.from({ length: n }, (_, i) => ({
      seq: i + 1, t: t0 + i, tabId: 5, frameId: 0, kind: i % 10 === 0 ? 'bc:post' : 'es:message', ref: '5.d.1', name: 'http://app.test/sse?projectId=p1',
      type: 'message', preview: JSON.stringify({ n: i, text: i % 1000 === 0 ? 'needle' : 'hay' }), size: 20, lastEventId: String(i),
    }));
    const snapshot: Snapshot = {
      schemaVersion: 1, generatedAt: t0 + n, tabs: [{ tabId: 5, url: 'http://app.test/', title: 'Big' }], connections: [], channels: [], locks: [],
      rateLimits: [], projects: [], anomalies: [], stats: { droppedByPage: 0, invalid: 0, evicted: 0, accepted: n },
    };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sse-big-'));
    const file = path.join(dir, 'big.json');
    writeFileSync(file, JSON.stringify(buildCapture(snapshot, events)));
    const panel = await openPanelTab(context, extensionId, 5);
    await panel.getByTestId('import-file').setInputFiles(file);
    await showView(panel, 'Event log');
    await expect(panel.getByTestId('log-count')).toContainText(`${n} of ${n} events`, { timeout: 30_000 });
    expect(await panel.evaluate(() => (globalThis as unknown as { __panelPerf: { liveLogSize: number } }).__panelPerf.liveLogSize)).toBe(n);
    expect(await rows(panel).count()).toBeLessThan(120);
    await panel.getByTestId('filter-text').fill('needle');
    await expect(panel.getByTestId('log-count')).toContainText(`100 of ${n} events`);
    const { filterMs, importMs } = await panel.evaluate(() => {
      const p = (globalThis as unknown as { __panelPerf: { lastFilterMs: number; lastImportMs: number } }).__panelPerf;
      return { filterMs: p.lastFilterMs, importMs: p.lastImportMs };
    });
    test.info().annotations.push({ type: 'perf', description: `import of ${n} events (parse, validate, build): ${importMs.toFixed(0)} ms; text filter over ${n} entries: ${filterMs.toFixed(1)} ms` });
    console.log(test.info().annotations.at(-1)?.description);
    await panel.getByTestId('filter-text').fill('');
    await panel.locator('[data-testid=event-log] .log-scroll').focus();
    await panel.keyboard.press('Home');
    await expect(panel.locator('[data-testid=event-log] [aria-selected=true]')).toHaveAttribute('data-seq', '1');
    await panel.keyboard.press('End');
    await expect(panel.locator('[data-testid=event-log] [aria-selected=true]')).toHaveAttribute('data-seq', String(n));
    expect(await rows(panel).count()).toBeLessThan(120);
  });

  test('a big live capture: the newest events first, the older ones loaded behind them, then the whole log (counts, top row, export)', async ({ context, server, extensionId, tabIdOf, worker, setSettings }) => {
    // Every message logged: the capture is 12,000 entries.
    await setSettings({ messageLogRate: 0 });
    const page = await context.newPage();
    await page.goto(`${server.url}/plain.html`);
    const tabId = await tabIdOf(page);
    // 12,000 BroadcastChannel posts, in slices the page's queue takes whole.
    await page.evaluate(async () => {
      const ch = new BroadcastChannel('chat-big');
      for (let i = 0; i < 12_000; i += 500) {
        for (let k = i; k < i + 500; k++) ch.postMessage({ n: k });
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    const held = () =>
      worker.evaluate((t) => {
        const log = (globalThis as unknown as { __sseConnections: { state: { log: { tabId: number; seq: number }[] } } }).__sseConnections.state.log.filter((e) => e.tabId === t);
        return { count: log.length, first: log[0]?.seq ?? -1, last: log.at(-1)?.seq ?? -1 };
      }, tabId);
    await expect.poll(async () => (await held()).count, { timeout: 30_000 }).toBeGreaterThanOrEqual(12_000);
    // Wait for the worker's log of the tab to stand still, so both sides can be compared.
    let inWorker = await held();
    await expect
      .poll(async () => {
        const before = inWorker.count;
        await new Promise((r) => setTimeout(r, 300));
        inWorker = await held();
        return inWorker.count === before;
      })
      .toBe(true);

    const panel = await openPanelTab(context, extensionId, tabId);
    await showView(panel, 'Event log');
    // The whole capture ends up in the panel, and nothing says it is still loading.
    await expect.poll(() => totalCount(panel), { timeout: 30_000 }).toBe(inWorker.count);
    await expect(panel.getByTestId('log-loading')).toHaveCount(0);
    await expect(panel.getByTestId('loading-older')).toHaveCount(0);
    // Following the tail: the newest event is the last row; Home goes to the oldest.
    await expect(rows(panel).last()).toHaveAttribute('data-seq', String(inWorker.last));
    await panel.locator('[data-testid=event-log] .log-scroll').focus();
    await panel.keyboard.press('Home');
    await expect(panel.locator('[data-testid=event-log] [aria-selected=true]')).toHaveAttribute('data-seq', String(inWorker.first));
    // A filter covers the older part too.
    await panel.getByTestId('filter-text').fill('"n":7');
    await expect.poll(() => shownCount(panel)).toBe(1 + 10 + 100 + 1000);

    const [download] = await Promise.all([panel.waitForEvent('download'), panel.getByTestId('export').click()]);
    const exported = JSON.parse(readFileSync(await download.path(), 'utf8')) as Snapshot & { events: LogEntry[] };
    const mine = exported.events.filter((e) => e.tabId === tabId);
    expect(mine).toHaveLength(inWorker.count);
    expect(mine[0]?.seq).toBe(inWorker.first);
    expect(mine.every((e, i) => i === 0 || e.seq > mine[i - 1]!.seq)).toBe(true);
  });

  test('above the message log rate: a summary row says how many messages it stands for, and the counts stay exact', async ({ context, server, extensionId, tabIdOf, snapshot }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/plain.html`);
    const tabId = await tabIdOf(page);
    await page.evaluate(() => {
      const ch = new BroadcastChannel('chat-summary');
      for (let i = 0; i < 1000; i++) ch.postMessage({ n: i });
    });
    await expect.poll(async () => (await snapshot()).channels.find((c) => c.name === 'chat-summary')?.posted).toBe(1000);
    const panel = await openPanelTab(context, extensionId, tabId);
    await showView(panel, 'Event log');
    await panel.getByTestId('filter-kind').selectOption('bc:post-summary');
    await expect.poll(() => shownCount(panel)).toBeGreaterThan(0);
    const row = rows(panel).first();
    // The loop is one task, so one summary stands for the posts after the burst; the pattern is the panel's wording for any count.
    await expect(row).toContainText(/[\d,]+ posts? over [\d.]+ s, not logged one by one \(message log rate\)/);
    await row.click();
    await expect(panel.getByTestId('event-detail')).toContainText('Messages');
    await expect(panel.getByTestId('event-detail')).toContainText('First of them');
    // A burst of 200 (and the few the rate refilled) was logged one by one; the rest is in the summaries.
    await panel.getByTestId('filter-kind').selectOption('bc:post');
    const logged = await shownCount(panel);
    expect(logged).toBeGreaterThanOrEqual(200);
    expect(logged).toBeLessThan(1000);
  });

  test('clear empties this tab’s capture; the live stream goes on from zero', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/inline-es.html`);
    const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
    const messages = async () => Number(await panel.locator('[data-testid=connections] [data-testid=messages]').first().textContent());
    await expect.poll(messages).toBeGreaterThan(20);
    await panel.getByTestId('clear').click();
    await expect(panel.getByTestId('toolbar-info')).toContainText('Cleared the capture of tab');
    // The connection is live, so it stays, with its counts from zero.
    await expect.poll(messages).toBeLessThan(15);
    await showView(panel, 'Event log');
    await panel.getByTestId('filter-kind').selectOption('es:create');
    await expect.poll(() => shownCount(panel)).toBe(0);
    await panel.getByTestId('filter-kind').selectOption('messages');
    await expect.poll(() => shownCount(panel)).toBeGreaterThan(0);
  });

  test('settings: the worker’s error is shown, a valid change is saved', async ({ context, extensionId }) => {
    const panel = await openPanelTab(context, extensionId, 1);
    await showView(panel, 'Settings');
    await expect(panel.getByTestId('setting-logEntries')).toHaveValue('100000');
    await panel.getByTestId('setting-logEntries').fill('5');
    await panel.getByTestId('settings-save').click();
    await expect(panel.getByTestId('settings-error')).toContainText('logEntries');
    await panel.getByTestId('setting-namePattern').fill('(broken');
    await panel.getByTestId('settings-save').click();
    await expect(panel.getByTestId('settings-error')).toContainText('Name pattern');
    await panel.getByTestId('setting-namePattern').fill('^room-(.+)$');
    await panel.getByTestId('setting-nameGroup').fill('1');
    await panel.getByTestId('setting-logEntries').fill('50000');
    await panel.getByTestId('settings-save').click();
    await expect(panel.getByTestId('settings-status')).toHaveText('Saved.');
    const stored = await panel.evaluate(() => chrome.runtime.sendMessage({ kind: 'settings:get' }));
    expect(stored).toMatchObject({ logEntries: 50000, projectKeyRules: { namePattern: '^room-(.+)$', nameGroup: 1 } });
  });

  test('preserve log: off hides the events of the page before a reload, on keeps them; record off drops new events', async ({ context, server, extensionId, tabIdOf }) => {
    const page = await context.newPage();
    await page.goto(`${server.url}/inline-es.html`);
    const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
    await showView(panel, 'Event log');
    await panel.getByTestId('filter-kind').selectOption('es:create');
    await expect.poll(() => shownCount(panel)).toBe(1);
    await page.reload();
    // Off (the default, as in DevTools): only the new page's stream.
    await expect(panel.getByTestId('preserve-log')).not.toBeChecked();
    await panel.getByTestId('filter-kind').selectOption('doc:gone');
    await panel.getByTestId('filter-kind').selectOption('es:create');
    await expect.poll(() => shownCount(panel)).toBe(1);
    await panel.getByTestId('filter-kind').selectOption('page');
    await expect.poll(() => shownCount(panel)).toBe(0);
    await panel.getByTestId('preserve-log').check();
    await expect.poll(() => shownCount(panel)).toBe(1); // the doc:gone of the first page
    await panel.getByTestId('filter-kind').selectOption('es:create');
    await expect.poll(() => shownCount(panel)).toBe(2);

    await panel.getByTestId('filter-kind').selectOption('');
    await panel.getByTestId('record').click();
    await expect(panel.getByTestId('record')).toHaveAttribute('aria-pressed', 'false');
    const stopped = await totalCount(panel);
    await page.waitForTimeout(800);
    expect(await totalCount(panel)).toBe(stopped);
    await panel.getByTestId('record').click();
    await expect.poll(() => totalCount(panel)).toBeGreaterThan(stopped);
  });
});

test('while about 2,000 events a second stream in, the log keeps up with few DOM rows (frame times reported)', async ({ context, server, extensionId, tabIdOf, setSettings }) => {
  // Every message logged, so that 2,000 entries a second reach the panel.
  await setSettings({ messageLogRate: 0 });
  const page = await context.newPage();
  await page.goto(`${server.url}/panel/firehose.html`);
  const panel = await openPanelTab(context, extensionId, await tabIdOf(page));
  await showView(panel, 'Event log');
  await panel.evaluate(() => {
    const w = window as unknown as { __frames: number[] };
    w.__frames = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__frames.push(e.duration);
    }).observe({ type: 'long-animation-frame', buffered: false });
  });
  const start = await totalCount(panel);
  const pageStart = await page.evaluate(() => (window as unknown as { count: number }).count);
  await panel.waitForTimeout(5000);
  const end = await totalCount(panel);
  const pageEnd = await page.evaluate(() => (window as unknown as { count: number }).count);
  expect(end - start).toBeGreaterThan(1000);
  expect(await rows(panel).count()).toBeLessThan(120);
  const stats = await panel.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __panelPerf: { maxFlushMs: number; flushes: number } };
    return { longFrames: w.__frames.length, worstFrameMs: Math.max(0, ...w.__frames), maxFlushMs: w.__panelPerf.maxFlushMs, flushes: w.__panelPerf.flushes };
  });
  test.info().annotations.push({
    type: 'perf',
    description: `page received ${(pageEnd - pageStart) / 5}/s, panel log grew ${(end - start) / 5}/s; long animation frames (>50 ms) in 5 s: ${stats.longFrames}, worst ${stats.worstFrameMs.toFixed(0)} ms; worst flush ${stats.maxFlushMs.toFixed(1)} ms over ${stats.flushes} flushes`,
  });
  console.log(test.info().annotations.at(-1)?.description);
});
