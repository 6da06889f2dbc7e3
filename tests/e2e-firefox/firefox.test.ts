/**
 * The add-on in real Firefox (Debian firefox-esr), built by `npm run build:firefox`
 * and installed as a temporary add-on, driven by puppeteer-core over WebDriver BiDi.
 *
 *   node --import tsx --test --test-reporter=spec tests/e2e-firefox/firefox.test.ts
 *
 * One Firefox for the whole file (a launch costs several seconds on two cores);
 * each test opens its own tabs. Conditions are polled, never slept for.
 * A step that cannot run here is reported as skipped with the reason.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test, type TestContext } from 'node:test';
import type { Page } from 'puppeteer-core';
import type { Snapshot, SnapshotConnection } from '../../src/shared/protocol';
import { SCRIPTS, startInstrumentationServer, type InstrumentationServer } from '../e2e/instrumentation/server';
import { startTestServer, type TestServer } from '../e2e/support/server';
import { openToolbox, readPanel } from './support/devtools';
import { DIST, UUID, launchFirefox, waitFor, type Firefox } from './support/firefox';

const PAGES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages');
const T = { timeout: 90_000 };

let ff: Firefox;
let server: TestServer; // tests/e2e/pages and the SSE endpoints
let ownPages: TestServer; // tests/e2e-firefox/pages
let scripted: InstrumentationServer; // SSE bodies known in advance
const opened: Page[] = [];

async function open(url: string): Promise<Page> {
  const page = await ff.browser.newPage();
  opened.push(page);
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

async function connectionOf(tabId: number, ready: (c: SnapshotConnection) => boolean, what: string): Promise<SnapshotConnection> {
  return waitFor(`${what} (tab ${tabId}) in the snapshot`, async () => {
    const c = (await ff.snapshot()).connections.find((x) => x.tabId === tabId);
    return c && ready(c) ? c : null;
  });
}

/**
 * A step that cannot run here is skipped, saying why (a `# SKIPPED` line and node:test's skip count).
 * With SSE_CONNECTIONS_FIREFOX_NO_SKIP=1 (for CI, whose Firefox is known to allow every step) it fails instead.
 */
function skip(t: TestContext, step: string, reason: string): void {
  if (process.env.SSE_CONNECTIONS_FIREFOX_NO_SKIP === '1') throw new Error(`${step} cannot run here (${reason}), and SSE_CONNECTIONS_FIREFOX_NO_SKIP=1 forbids skipping`);
  console.log(`# SKIPPED ${step}: ${reason}`);
  t.skip(`${step}: ${reason}`);
}

/** Skip, saying why, when a step needs Firefox's chrome scope and it is closed here. Returns true when skipped. */
function skipWithoutChromeScope(t: TestContext, step: string): boolean {
  if (!ff.chromeUnavailable) return false;
  skip(t, step, `needs Firefox's chrome scope: ${ff.chromeUnavailable}`);
  return true;
}

/** The absolute URL of the page's `window.es` (the shared test pages build it from their query). */
const esUrl = (page: Page) => page.evaluate(() => (window as unknown as { es: EventSource }).es.url);

const received = (page: Page) => page.evaluate(() => (window as unknown as { received: unknown[] }).received.length);

describe('SSE Connections in Firefox', () => {
  before(async () => {
    [server, ownPages, scripted] = await Promise.all([startTestServer(), startTestServer({ pagesDir: PAGES }), startInstrumentationServer()]);
    ff = await launchFirefox();
    console.log(`# Firefox ${ff.version}, add-on ${ff.addonId} from ${path.relative(process.cwd(), DIST) || DIST}`);
    // The event page answers before any test page loads (its webRequest listeners are then registered).
    await waitFor('the background to answer snapshot:get', async () => (await ff.snapshot()).schemaVersion);
  });

  after(async () => {
    for (const p of opened) await p.close().catch(() => undefined);
    await ff?.close();
    await Promise.all([server?.close(), ownPages?.close(), scripted?.close()]);
  });

  test('the build: a Firefox MV3 manifest with an event page, and both content scripts as synchronous IIFEs', () => {
    const m = JSON.parse(readFileSync(path.join(DIST, 'manifest.json'), 'utf8')) as {
      background: { scripts?: string[]; service_worker?: string };
      browser_specific_settings?: { gecko?: { id?: string; data_collection_permissions?: { required?: string[] } } };
      content_scripts: { js: string[]; world?: string; run_at?: string }[];
    };
    assert.equal(m.background.service_worker, undefined);
    assert.ok(m.background.scripts?.length === 1, 'background.scripts has the one entry');
    assert.equal(m.browser_specific_settings?.gecko?.id, ff.addonId);
    assert.deepEqual(m.browser_specific_settings?.gecko?.data_collection_permissions?.required, ['none']);
    assert.ok(m.content_scripts.some((c) => c.world === 'MAIN' && c.run_at === 'document_start'), 'a MAIN-world script at document_start');
    for (const cs of m.content_scripts) {
      for (const file of cs.js) {
        const code = readFileSync(path.join(DIST, file), 'utf8');
        // An async loader would be `import(...)` of a chunk, or an ES module: either installs the wrapper too late.
        assert.match(code, /^\(function\(\)\{/, `${file} is one IIFE`);
        assert.doesNotMatch(code, /\bimport\s*\(|^\s*(import|export)\s/m, `${file} loads nothing asynchronously`);
      }
    }
  });

  test('the temporary add-on has its host permissions (<all_urls>)', T, async (t) => {
    if (skipWithoutChromeScope(t, 'reading the granted origins')) return;
    const origins = await ff.chrome<string[]>(`WebExtensionPolicy.getByID(${JSON.stringify(ff.addonId)}).allowedOrigins.patterns.map((p) => p.pattern)`);
    assert.ok(origins.includes('<all_urls>'), `granted origins: ${origins.join(', ')}`);
  });

  test("the wrapper runs before the page's first script, and sees its EventSource from the first message", T, async () => {
    const page = await open(`${ownPages.url}/first-script.html`);
    const first = await page.evaluate(() => (window as unknown as { firstScript: { readyState: string; hook: boolean } }).firstScript);
    assert.deepEqual(first, { readyState: 'loading', hook: true }, 'the hook is in place when the first inline script runs');
    const tabId = await ff.tabIdOf(page);
    await waitFor('the page to receive its 5 messages', async () => (await received(page)) === 5);
    const c = await connectionOf(tabId, (x) => x.messageCount >= 5, 'the first-script EventSource with 5 messages');
    assert.equal(c.url, `${ownPages.url}/sse/ticker?intervalMs=80&count=5&retry=60000`);
    assert.equal(c.transport, 'eventsource');
    assert.equal(c.frameId, 0);
    assert.equal(c.messageCount, 5, 'every message, from the first');
    assert.equal(c.lastEventId, '5');
  });

  test('an EventSource reaches the background: right tab, live count, HTTP status from webRequest', T, async () => {
    const page = await open(`${server.url}/inline-es.html?intervalMs=100`);
    const tabId = await ff.tabIdOf(page);
    const c = await connectionOf(tabId, (x) => x.messageCount >= 5 && x.httpStatus === 200, 'an open EventSource with 5+ messages and status 200');
    assert.equal(c.transport, 'eventsource');
    assert.equal(c.state, 'open');
    assert.equal(c.url, await esUrl(page));
    const title = await page.title();
    const snap: Snapshot = await ff.snapshot();
    assert.ok(snap.tabs.some((t) => t.tabId === tabId && t.title === title), 'the tab is listed with its title');
    // Counts follow the page and never run ahead of it.
    const later = await connectionOf(tabId, (x) => x.messageCount > c.messageCount, 'the count to grow');
    assert.ok(later.messageCount <= (await received(page)), 'no message counted that the page did not get');
  });

  test("a fetch-based stream is captured, and the page reads every byte unchanged", T, async () => {
    const page = await open(`${scripted.url}/instrumentation/fetch-stream.html`);
    const result = await page.evaluate(() => (window as unknown as { result: Promise<{ status: number; bytes: number[] }> }).result);
    assert.equal(result.status, 200);
    assert.equal(Buffer.from(result.bytes).toString('utf8'), SCRIPTS.basic);
    const tabId = await ff.tabIdOf(page);
    const c = await connectionOf(tabId, (x) => x.state === 'closed', 'the fetch stream, closed');
    assert.equal(c.url, `${scripted.url}/script/basic?chunkMs=3`);
    assert.equal(c.transport, 'fetch');
    assert.equal(c.httpStatus, 200);
    assert.equal(c.messageCount, 5);
    assert.equal(c.lastEventId, '9');
  });

  test('an EventSource in an iframe (src and about:srcdoc) is captured, with its own frame id', T, async () => {
    const page = await open(`${scripted.url}/instrumentation/iframe.html`);
    const tabId = await ff.tabIdOf(page);
    const find = (frame: string) =>
      waitFor(`the ${frame} iframe's EventSource with its message`, async () =>
        (await ff.snapshot()).connections.find((c) => c.tabId === tabId && c.url === `${scripted.url}/hold?frame=${frame}` && c.messageCount === 1),
      );
    const child = await find('child');
    const srcdoc = await find('srcdoc');
    assert.equal(child.transport, 'eventsource');
    assert.equal(child.state, 'open');
    assert.notEqual(child.frameId, 0);
    assert.notEqual(srcdoc.frameId, 0);
    assert.notEqual(srcdoc.frameId, child.frameId);
  });

  test('a BroadcastChannel election across two tabs reaches the background: channels, leader and follower', T, async () => {
    const leader = await open(`${server.url}/bc-leader.html?projectId=alpha&n=1`);
    await waitFor('tab 1 to lead', () => leader.evaluate(() => document.getElementById('role')?.textContent === 'leader'));
    const follower = await open(`${server.url}/bc-leader.html?projectId=alpha&n=2`);
    await waitFor('tab 2 to follow', () => follower.evaluate(() => document.getElementById('role')?.textContent === 'follower'));
    const [a, b] = [await ff.tabIdOf(leader), await ff.tabIdOf(follower)];
    const project = await waitFor('project alpha with one leader and one follower', async () => {
      const p = (await ff.snapshot()).projects.find((x) => x.projectKey === 'alpha');
      return p && p.leaderTabIds.length === 1 && p.followerTabIds.length === 1 ? p : null;
    });
    assert.deepEqual(project.leaderTabIds, [a]);
    assert.deepEqual(project.followerTabIds, [b]);
    const channels = await waitFor('both tabs to have posted and received on chat-alpha', async () => {
      const list = (await ff.snapshot()).channels.filter((c) => c.name === 'chat-alpha');
      const of = (tabId: number) => list.find((c) => c.tabId === tabId);
      return of(a) && of(b) && of(a)!.posted > 0 && of(b)!.posted > 0 && of(a)!.received > 0 && of(b)!.received > 0 ? list : null;
    });
    assert.ok(channels.every((c) => c.projectKey === 'alpha' && c.open));
    await follower.close();
    await leader.close();
  });

  test('a 429 with Retry-After and the limit headers reaches the background: rateLimits entry and refused connection', T, async () => {
    const page = await open(`${server.url}/refused.html?retryAfter=10&projectId=beta`);
    const tabId = await ff.tabIdOf(page);
    const rl = await waitFor('a rateLimits entry for the tab', async () => (await ff.snapshot()).rateLimits.find((r) => r.tabId === tabId));
    assert.equal(rl.status, 429);
    assert.equal(rl.retryAfterMs, 10_000);
    assert.equal(rl.limit, 5);
    assert.equal(rl.current, 5);
    assert.equal(rl.method, 'GET');
    assert.equal(rl.projectKey, 'beta');
    assert.ok(rl.url.includes('/sse/status?code=429'));
    const c = await connectionOf(tabId, (x) => x.refusal?.status === 429, 'the connection marked refused');
    assert.equal(c.state, 'closed');
    assert.equal(c.httpStatus, 429);
    assert.deepEqual({ ...c.refusal, at: 0 }, { at: 0, status: 429, retryAfterMs: 10_000, limit: 5, current: 5 });
    assert.equal(rl.connectionId, c.id);
  });

  test('the panel page (opened as a tab with ?tabId=) renders the connection', T, async () => {
    const page = await open(`${server.url}/inline-es.html?intervalMs=120`);
    const tabId = await ff.tabIdOf(page);
    await connectionOf(tabId, (x) => x.messageCount > 0, 'the stream');
    const panel = await ff.openExtensionPage(`src/panel/panel.html?tabId=${tabId}`);
    opened.push(panel);
    const streamUrl = await esUrl(page);
    const text = await waitFor('the panel to list the connection', async () => {
      const t = await panel.evaluate(() => document.body.innerText);
      return t.includes(streamUrl) && t.includes('eventsource') ? t : null;
    });
    assert.match(text, /\bopen\b/);
  });

  test('the real devtools toolbox shows "SSE Connections", and the panel renders the inspected tab\'s connection', T, async (t) => {
    const page = await open(`${server.url}/inline-es.html?intervalMs=130`);
    const tabId = await ff.tabIdOf(page);
    await connectionOf(tabId, (x) => x.messageCount > 0, 'the stream');
    const toolbox = await openToolbox(ff, page.url());
    if ('unavailable' in toolbox) {
      // Reported plainly: this is a skip, not a pass.
      skip(t, 'the real devtools panel', `Firefox internals for opening the toolbox are not reachable: ${toolbox.unavailable}`);
      return;
    }
    const tool = toolbox.tools.find((x) => x.label === 'SSE Connections');
    assert.ok(tool, `an "SSE Connections" panel among ${JSON.stringify(toolbox.tools)}`);
    const expectedUrl = `moz-extension://${UUID}/src/panel/panel.html`;
    const streamUrl = await esUrl(page);
    let view = await readPanel(ff, page.url(), tool.id);
    view = await waitFor(
      'the devtools panel to load and list the connection',
      async () => {
        view = await readPanel(ff, page.url(), tool.id);
        // A wrong page will never get better: stop polling and fail below with what it is.
        if (view.url && view.url !== 'about:blank' && view.url !== expectedUrl) return view;
        return view.url === expectedUrl && view.text.includes(streamUrl) ? view : null;
      },
      20_000,
    ).catch((error: unknown) => {
      throw new Error(`${error instanceof Error ? error.message : String(error)}; last view: ${JSON.stringify(view).slice(0, 400)}`);
    });
    assert.equal(
      view.url,
      expectedUrl,
      'the panel page loads from the extension root (Firefox resolves a relative devtools.panels.create path against the devtools page)',
    );
    assert.equal(view.inspectedTabId, tabId, 'devtools.inspectedWindow.tabId is the inspected tab');
    assert.ok(view.text.includes(streamUrl), 'the panel lists the connection');
  });

  test("the devtools panel reads a 429's response body from Firefox's network log (devtools.network)", T, async (t) => {
    const page = await open(`${server.url}/inline-es.html?intervalMs=140`);
    const toolbox = await openToolbox(ff, page.url());
    if ('unavailable' in toolbox) {
      skip(t, 'the response body in the devtools panel', `Firefox internals for opening the toolbox are not reachable: ${toolbox.unavailable}`);
      return;
    }
    const tool = toolbox.tools.find((x) => x.label === 'SSE Connections');
    assert.ok(tool, 'the "SSE Connections" panel');
    const expectedUrl = `moz-extension://${UUID}/src/panel/panel.html`;
    const loaded = await waitFor('the devtools panel to load', async () => {
      const v = await readPanel(ff, page.url(), tool.id);
      // A wrong page will not get better: stop polling and fail below with what it is.
      if (v.url && v.url !== 'about:blank' && v.url !== expectedUrl) return v;
      return v.url === expectedUrl && v.text.includes('/sse/ticker') ? v : null;
    });
    assert.equal(loaded.url, expectedUrl, 'the panel page loads from the extension root');
    // The 429 arrives while the toolbox is open: its body is in the network log.
    await page.goto(`${server.url}/refused.html?retryAfter=10&projectId=zeta`, { waitUntil: 'load' });
    const view = await waitFor('the Rate limits view to show the 429 body', async () => {
      const v = await readPanel(ff, page.url(), tool.id, '^\\s*rate limits\\s*$');
      return v.text.includes('too_many_connections') ? v : null;
    }, 20_000);
    assert.ok(view.text.includes('projectId=zeta'));
  });

  test('the event page is stopped mid-stream and wakes: counts carry on, nothing lost or doubled', T, async (t) => {
    if (skipWithoutChromeScope(t, 'stopping the event page')) return;
    const page = await open(`${server.url}/inline-es.html?intervalMs=60`);
    const tabId = await ff.tabIdOf(page);
    const count = async () => (await ff.snapshot()).connections.find((c) => c.tabId === tabId)?.messageCount ?? 0;
    await waitFor('10 messages', async () => (await count()) > 10);
    const policy = `WebExtensionPolicy.getByID(${JSON.stringify(ff.addonId)}).extension`;
    for (let i = 0; i < 2; i++) {
      const before = await count();
      // What Firefox does to an idle event page (here on demand, not after the idle timeout).
      const state = await ff.chrome<string>(`(async () => { await ${policy}.terminateBackground({ ignoreDevToolsAttached: true }); return ${policy}.backgroundState; })()`);
      assert.notEqual(state, 'running', 'the event page was stopped');
      // The relay reconnects (that wakes the event page); the snapshot request wakes it too.
      await waitFor('the count to pass its value before the stop', async () => (await count()) > before + 5, 20_000);
      // The background's count first, then the page's: the page can only have more by then.
      const after = await count();
      const pageCount = await received(page);
      assert.ok(after >= before, `count went back: ${before} -> ${after}`);
      assert.ok(after <= pageCount, `counted ${after} but the page received ${pageCount}`);
    }
  });

  // Last: it takes the add-on's host permission away and gives it back.
  test('without "Access your data for all websites" nothing is captured; granting it back restores capture', T, async (t) => {
    if (skipWithoutChromeScope(t, 'taking the host permission away')) return;
    const id = JSON.stringify(ff.addonId);
    const permissions = (op: 'add' | 'remove') => `(async () => {
      const { ExtensionPermissions } = ChromeUtils.importESModule('resource://gre/modules/ExtensionPermissions.sys.mjs');
      const policy = WebExtensionPolicy.getByID(${id});
      await ExtensionPermissions.${op}(${id}, { origins: ['<all_urls>'], permissions: [] }, policy.extension);
      return policy.allowedOrigins.patterns.map((p) => p.pattern);
    })()`;
    let origins: string[];
    try {
      origins = await ff.chrome<string[]>(permissions('remove'));
    } catch (error) {
      skip(t, 'the host-permission check', `ExtensionPermissions is not reachable from chrome scope: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    try {
      assert.ok(!origins.includes('<all_urls>'), `host permission removed (left: ${origins.join(', ')})`);
      const page = await open(`${server.url}/inline-es.html?intervalMs=100&projectId=nohost`);
      await waitFor('the page to receive messages', async () => (await received(page)) > 3);
      const hook = () => page.evaluate(() => Object.getOwnPropertyDescriptor(window, '__SSE_DEVTOOLS_HOOK__') !== undefined);
      assert.equal(await hook(), false, 'no content script runs without host access');
      const seen = (await ff.snapshot()).connections.some((c) => c.url.includes('projectId=nohost'));
      assert.equal(seen, false, 'nothing reaches the background');

      origins = await ff.chrome<string[]>(permissions('add'));
      assert.ok(origins.includes('<all_urls>'), 'host permission granted again');
      await page.reload({ waitUntil: 'load' });
      assert.equal(await hook(), true, 'the wrapper is back after a reload');
      const tabId = await ff.tabIdOf(page);
      await connectionOf(tabId, (c) => c.url.includes('projectId=nohost') && c.messageCount > 0 && c.httpStatus === 200, 'the stream, captured again');
    } finally {
      await ff.chrome<string[]>(permissions('add')).catch(() => undefined);
    }
  });
});
