/**
 * Launching Debian's Chromium (or another one) with the built extension,
 * the way a user loads it unpacked.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Worker } from 'playwright-core';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The built extension; `SSE_CONNECTIONS_DIST` points tests and benchmarks at another build. */
export const DIST = process.env.SSE_CONNECTIONS_DIST ?? path.join(ROOT, 'dist');

/** Flags this machine needs: closed network, root user, no GPU. */
export const BASE_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-default-apps',
];

/** `CHROMIUM_PATH`, else Debian's `/usr/bin/chromium`, else Playwright's own browser if installed. */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  try {
    const own = chromium.executablePath();
    if (own && existsSync(own)) return own;
  } catch {
    // Playwright has no browser of its own here.
  }
  throw new Error(
    'No Chromium found. Install one (Debian: `apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
}

export interface LaunchOptions {
  /** Load dist/ (default true). */
  extension?: boolean;
  /** Open DevTools for every tab (needed for the real panel). */
  devtools?: boolean;
  /** Open a CDP WebSocket (DevToolsActivePort in the profile) without DevTools windows. */
  cdp?: boolean;
  extraArgs?: string[];
  /** Another built extension directory than DIST (benchmarks compare two builds side by side). */
  dist?: string;
}

export interface Launched {
  context: BrowserContext;
  userDataDir: string;
  close(): Promise<void>;
}

export async function launchChromium(options: LaunchOptions = {}): Promise<Launched> {
  const { extension = true, devtools = false, cdp = false, extraArgs = [], dist = DIST } = options;
  if (extension && !existsSync(path.join(dist, 'manifest.json'))) {
    throw new Error(`dist/ is not built: run \`npm run build\` first (looked in ${dist}).`);
  }
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'sse-connections-'));
  const args = [...BASE_ARGS, ...extraArgs];
  if (extension) args.push(`--disable-extensions-except=${dist}`, `--load-extension=${dist}`);
  if (devtools) args.push('--auto-open-devtools-for-tabs');
  if (devtools || cdp) args.push('--remote-debugging-port=0');
  const context = await chromium.launchPersistentContext(userDataDir, {
    headless: true,
    executablePath: chromiumPath(),
    args,
    // Playwright turns the back/forward cache off by default; users have it on.
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    viewport: { width: 1100, height: 720 },
  });
  return {
    context,
    userDataDir,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The extension's service worker, once it answers: without one round trip
 * first, webRequest events of the first page were missed.
 */
export async function extensionWorker(context: BrowserContext): Promise<Worker> {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  await worker.evaluate(() => 1);
  return worker;
}

/**
 * Change the extension's settings as the panel does (`settings:set` from an
 * extension page); throws with the worker's error. Relays get them at once.
 */
export async function setExtensionSettings(context: BrowserContext, worker: Worker, patch: Record<string, unknown>): Promise<void> {
  const page = await context.newPage();
  try {
    await page.goto(`chrome-extension://${new URL(worker.url()).host}/src/panel/panel.html?tabId=0`);
    const answer = (await page.evaluate((settings) => chrome.runtime.sendMessage({ kind: 'settings:set', settings }), patch)) as {
      ok?: boolean;
      error?: string;
    } | null;
    if (answer?.ok !== true) throw new Error(`settings:set refused: ${answer?.error ?? JSON.stringify(answer)}`);
  } finally {
    await page.close();
  }
}
