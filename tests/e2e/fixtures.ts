/**
 * The e2e fixture: Chromium with the built extension loaded unpacked (as a
 * user loads it), its service worker, a real test server, and helpers to
 * read the snapshot, open the real DevTools panel and stop the worker.
 */
import { test as base, expect, type Page, type Worker, type BrowserContext } from '@playwright/test';
import type { Snapshot } from '../../src/shared/protocol';
import { extensionWorker, launchChromium, setExtensionSettings, type Launched } from './support/chromium';
import { openPanel, type PanelHandle } from './support/devtools';
import { startTestServer, type TestServer } from './support/server';

export interface ExtensionFixtures {
  /** Open DevTools for every tab (set with test.use({ devtools: true })). */
  devtools: boolean;
  launched: Launched;
  context: BrowserContext;
  worker: Worker;
  extensionId: string;
  server: TestServer;
  /** An extension page (the panel page, no tab) for runtime.sendMessage requests. */
  extPage: () => Promise<Page>;
  /** The snapshot, asked with runtime.sendMessage({ kind: 'snapshot:get' }) from an extension page. */
  snapshot: () => Promise<Snapshot>;
  /** Change settings as the panel does (`settings:set`); throws on the worker's error. Pages opened afterwards get them at once. */
  setSettings: (patch: Record<string, unknown>) => Promise<void>;
  /** The tab id Chrome gave a page. */
  tabIdOf: (page: Page) => Promise<number>;
  /** Open the real DevTools "SSE Connections" panel of a page's tab. */
  openPanel: (page: Page) => Promise<PanelHandle>;
  /** Stop the extension's service worker (as Chrome does when it is idle). */
  stopWorker: () => Promise<void>;
}

export const test = base.extend<ExtensionFixtures>({
  devtools: [false, { option: true }],
  // Playwright fixtures take their dependencies by destructuring; this one has none.
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.close();
  },
  launched: async ({ devtools }, use) => {
    const launched = await launchChromium({ devtools });
    await use(launched);
    await launched.close();
  },
  context: async ({ launched }, use) => {
    await use(launched.context);
  },
  worker: async ({ context }, use) => {
    await use(await extensionWorker(context));
  },
  extensionId: async ({ worker }, use) => {
    await use(new URL(worker.url()).host);
  },
  extPage: async ({ context, extensionId, worker }, use) => {
    void worker;
    let page: Page | null = null;
    await use(async () => {
      if (!page || page.isClosed()) {
        page = await context.newPage();
        await page.goto(`chrome-extension://${extensionId}/src/panel/panel.html?tabId=0`);
      }
      return page;
    });
  },
  snapshot: async ({ extPage }, use) => {
    await use(async () => (await extPage()).evaluate(() => chrome.runtime.sendMessage({ kind: 'snapshot:get' })) as Promise<Snapshot>);
  },
  setSettings: async ({ context, worker }, use) => {
    await use((patch) => setExtensionSettings(context, worker, patch));
  },
  tabIdOf: async ({ worker }, use) => {
    await use(async (page: Page) => {
      const url = page.url();
      const ids = await worker.evaluate(async (u: string) => (await chrome.tabs.query({ url: u.split('#')[0] })).map((t) => t.id), url);
      if (ids.length !== 1 || typeof ids[0] !== 'number') throw new Error(`cannot tell the tab id of ${url}: ${ids.length} tabs match`);
      return ids[0];
    });
  },
  openPanel: async ({ launched, extensionId, tabIdOf }, use) => {
    const handles: PanelHandle[] = [];
    await use(async (page: Page) => {
      const handle = await openPanel(launched.userDataDir, extensionId, await tabIdOf(page));
      handles.push(handle);
      return handle;
    });
    for (const h of handles) h.close();
  },
  stopWorker: async ({ context, worker }, use) => {
    await use(async () => {
      const page = context.pages()[0] ?? (await context.newPage());
      const session = await context.newCDPSession(page);
      await session.send('ServiceWorker.enable');
      await session.send('ServiceWorker.stopAllWorkers');
      await session.detach();
      void worker;
    });
  },
});

export { expect };
