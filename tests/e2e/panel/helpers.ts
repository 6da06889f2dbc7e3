/** Helpers for the panel's e2e tests: the panel page as a tab, a hostile SSE server, screenshots. */
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from '@playwright/test';
import { ROOT } from '../support/chromium';

/** The panel page opened as an ordinary tab for `tabId` (no chrome.devtools there). */
export async function openPanelTab(context: BrowserContext, extensionId: string, tabId: number): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`chrome-extension://${extensionId}/src/panel/panel.html?tabId=${tabId}`);
  await page.waitForSelector('[role=tablist]');
  return page;
}

export const HOSTILE_DATA = '<img src=x onerror=alert(1)>';

/**
 * A second server whose SSE stream sends markup as data and as an event
 * type, with CORS so a page of the fixture's server can read it.
 */
export async function startHostileServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'access-control-allow-origin': '*' });
    let n = 0;
    const timer = setInterval(() => {
      n++;
      res.write(`id: <i>${n}</i>\ndata: ${HOSTILE_DATA}\n\n`);
      res.write(`event: <b>bold</b>\ndata: {"html":"<script>alert(5)</script>","n":${n}}\n\n`);
    }, 150);
    req.on('close', () => clearInterval(timer));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/stream`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Show a view by clicking its tab. */
export async function showView(page: Page, label: string): Promise<void> {
  await page.getByRole('tab', { name: label }).click();
}

/**
 * Save a screenshot: under docs/ when UPDATE_SCREENSHOTS=1 (to refresh the
 * README's pictures), else under test-results/screenshots/, so a plain test
 * run leaves the work tree clean.
 */
export function saveDoc(name: string, png: Buffer): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(ROOT, 'docs') : path.join(ROOT, 'test-results', 'screenshots');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, png);
  return file;
}

/**
 * Set DevTools' own preferences (e.g. `currentDockState: "undocked"`, so a
 * screenshot of the DevTools window shows the panel at full width, or
 * `uiTheme: "dark"`) for the DevTools windows opened from now on. They are
 * set from a DevTools window that is already open (the one of the first tab).
 */
export async function setDevtoolsPreferences(userDataDir: string, prefs: Record<string, string>): Promise<boolean> {
  const { Cdp } = await import('../support/cdp');
  const cdp = await Cdp.connectToProfile(userDataDir);
  const expression = `(() => {
    const h = globalThis.InspectorFrontendHost;
    if (!h?.setPreference) return false;
    for (const [k, v] of Object.entries(${JSON.stringify(prefs)})) h.setPreference(k, JSON.stringify(v));
    return true;
  })()`;
  try {
    const deadline = Date.now() + 10_000;
    let sessionId: string | null = null;
    while (Date.now() < deadline) {
      if (!sessionId) {
        const { targetInfos } = await cdp.send<{ targetInfos: { targetId: string; type: string; url: string }[] }>('Target.getTargets');
        const window = targetInfos.find((t) => t.type === 'page' && t.url.startsWith('devtools://'));
        if (window) sessionId = (await cdp.send<{ sessionId: string }>('Target.attachToTarget', { targetId: window.targetId, flatten: true })).sessionId;
      }
      if (sessionId && (await cdp.evaluate<boolean>(sessionId, expression).catch(() => false))) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  } finally {
    cdp.close();
  }
}
