/**
 * Firefox (Debian firefox-esr) with the built add-on, driven by puppeteer-core
 * over WebDriver BiDi: no browser download, no geckodriver.
 *
 * - The add-on is installed as a temporary add-on (BiDi webExtension.install),
 *   the same as about:debugging's "Load Temporary Add-on…". Firefox grants a
 *   temporary add-on its host permissions; `hostAccess()` checks that.
 * - The moz-extension uuid is fixed with the pref `extensions.webextensions.uuids`,
 *   so extension pages have a known URL. A plain navigation there is refused;
 *   raw BiDi `browsingContext.navigate` works.
 * - `chrome()` evaluates in the browser's chrome scope (needs
 *   `--remote-allow-system-access`): Firefox internals, used only for the real
 *   devtools toolbox and for facts about the add-on. They may move between
 *   Firefox versions, and callers must say so when they do.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import type { Snapshot } from '../../../src/shared/protocol';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built Firefox add-on; `SSE_CONNECTIONS_FIREFOX_DIST` points the tests at another build. */
export const DIST = process.env.SSE_CONNECTIONS_FIREFOX_DIST ?? path.join(ROOT, 'dist-firefox');
/** A fixed uuid for moz-extension:// URLs in tests. */
export const UUID = '5e5c0c7e-55e0-4c0e-8d0e-000000000001';

export function firefoxPath(): string {
  const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  throw new Error('No Firefox found. Install one (Debian: `apt-get install -y firefox-esr`) or set FIREFOX_PATH.');
}

export function geckoIdOf(dist: string): string {
  const manifest = JSON.parse(readFileSync(path.join(dist, 'manifest.json'), 'utf8')) as {
    browser_specific_settings?: { gecko?: { id?: string } };
  };
  const id = manifest.browser_specific_settings?.gecko?.id;
  if (!id) throw new Error(`${dist}/manifest.json has no browser_specific_settings.gecko.id: is this the Firefox build?`);
  return id;
}

/** The part of puppeteer's BiDi connection we use (public getter on its BiDi Browser, untyped on `Browser`). */
interface BidiConnection {
  send(method: string, params: object): Promise<{ result: unknown }>;
}

interface BidiContext {
  context: string;
  url: string;
  children?: BidiContext[] | null;
}

interface EvaluateResult {
  type: 'success' | 'exception';
  result?: { type: string; value?: unknown };
  exceptionDetails?: { text?: string };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value; throw with `what` and the last value when time is up. */
export async function waitFor<T>(what: string, fn: () => Promise<T> | T, timeoutMs = 15_000, everyMs = 150): Promise<NonNullable<T>> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await fn();
      if (last) return last as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > end) {
      const shown = last instanceof Error ? last.message : JSON.stringify(last)?.slice(0, 500);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${shown})`);
    }
    await sleep(everyMs);
  }
}

export interface Firefox {
  browser: Browser;
  addonId: string;
  version: string;
  /** Evaluate an expression (may be async) in the browser's chrome scope; the value must be JSON-serialisable. */
  chrome<T>(expression: string): Promise<T>;
  /** Why the chrome scope cannot be used here, or null when it can. Tests that need it skip with this reason. */
  chromeUnavailable: string | null;
  /** Open an extension page of the add-on in a new tab (path from the extension root, with query). */
  openExtensionPage(pathAndQuery: string): Promise<Page>;
  /** Ask the background for the snapshot, from an extension page, as the panel does. */
  snapshot(): Promise<Snapshot>;
  /** The tab id Firefox gave a page (asked from an extension page). */
  tabIdOf(page: Page): Promise<number>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Extra or overriding Firefox prefs. */
  prefs?: Record<string, string | number | boolean>;
}

export async function launchFirefox(options: LaunchOptions = {}): Promise<Firefox> {
  if (!existsSync(path.join(DIST, 'manifest.json'))) {
    throw new Error(`${DIST} is not built: run \`npm run build:firefox\` first.`);
  }
  const addonIdExpected = geckoIdOf(DIST);
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: firefoxPath(),
    headless: true,
    // Needed for moz-extension:// navigation from BiDi as well as for the chrome scope.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      // The event page is suspended after 30 s idle by default; a test should not race that.
      'extensions.background.idle.timeout': 300_000,
      'extensions.webextensions.uuids': JSON.stringify({ [addonIdExpected]: UUID }),
      // Closed network: nothing to fetch or update.
      'extensions.update.enabled': false,
      'app.update.enabled': false,
      'browser.shell.checkDefaultBrowser': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      ...options.prefs,
    },
  });
  try {
    const connection = (browser as unknown as { connection: BidiConnection }).connection;
    const send = async <T>(method: string, params: object) => (await connection.send(method, params)).result as T;
    const version = await browser.version();
    const addonId = await browser.installExtension(DIST);
    if (addonId !== addonIdExpected) throw new Error(`installed add-on id ${addonId}, expected ${addonIdExpected}`);

    let chromeContext: string | null = null;
    const chrome = async <T>(expression: string): Promise<T> => {
      if (!chromeContext) {
        const tree = await send<{ contexts: BidiContext[] }>('browsingContext.getTree', { 'moz:scope': 'chrome' });
        const top = tree.contexts.find((c) => c.url === 'chrome://browser/content/browser.xhtml') ?? tree.contexts[0];
        if (!top) throw new Error('no chrome-scope browsing context');
        chromeContext = top.context;
      }
      const r = await send<EvaluateResult>('script.evaluate', {
        expression: `(async () => JSON.stringify(await (${expression})))()`,
        target: { context: chromeContext },
        awaitPromise: true,
      });
      if (r.type !== 'success') throw new Error(`chrome-scope evaluation failed: ${r.exceptionDetails?.text ?? 'unknown error'}`);
      const value = r.result?.value;
      return (typeof value === 'string' ? JSON.parse(value) : undefined) as T;
    };

    const chromeUnavailable = await chrome<number>('1 + 1').then(
      (two) => (two === 2 ? null : `chrome-scope evaluation returned ${String(two)}`),
      (error: unknown) => `chrome-scope evaluation refused (${error instanceof Error ? error.message : String(error)})`,
    );

    const openExtensionPage = async (pathAndQuery: string): Promise<Page> => {
      const page = await browser.newPage();
      const url = `moz-extension://${UUID}/${pathAndQuery.replace(/^\//, '')}`;
      // puppeteer's page.goto is refused for moz-extension:; raw BiDi navigate is not.
      const contextId = (page.mainFrame() as unknown as { _id: string })._id;
      await send('browsingContext.navigate', { context: contextId, url, wait: 'complete' }).catch((error: unknown) => {
        const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
        throw new Error(`Firefox refused to open ${url} (it needs --remote-allow-system-access): ${why}`);
      });
      await waitFor(`extension page ${url}`, () =>
        page.evaluate(() => location.href.startsWith('moz-extension:') && document.readyState === 'complete').catch(() => false),
      );
      return page;
    };

    let asker: Page | null = null;
    const ask = async <T>(fn: (arg: string) => Promise<T>, arg = ''): Promise<T> => {
      if (!asker || asker.isClosed()) asker = await openExtensionPage('src/panel/panel.html?tabId=0');
      return asker.evaluate(fn, arg);
    };

    type Ext = { browser: { runtime: { sendMessage(m: unknown): Promise<unknown> }; tabs: { query(q: object): Promise<{ id?: number; url?: string }[]> } } };
    const snapshot = () =>
      ask(async () => (await (globalThis as unknown as Ext).browser.runtime.sendMessage({ kind: 'snapshot:get' })) as Snapshot);

    const tabIdOf = async (page: Page): Promise<number> => {
      const url = page.url();
      // tabs.query({ url }) takes a match pattern, and Firefox's have no port: compare URLs instead.
      const ids = await ask(
        async (u: string) => (await (globalThis as unknown as Ext).browser.tabs.query({})).filter((t) => t.url === u).map((t) => t.id ?? -1),
        url,
      );
      if (ids.length !== 1 || ids[0] === undefined || ids[0] < 0) throw new Error(`cannot tell the tab id of ${url}: ${ids.length} tabs match`);
      return ids[0];
    };

    return {
      browser,
      addonId,
      version,
      chrome,
      chromeUnavailable,
      openExtensionPage,
      snapshot,
      tabIdOf,
      close: async () => {
        await browser.close().catch(() => undefined);
      },
    };
  } catch (error) {
    await browser.close().catch(() => undefined);
    throw error;
  }
}
