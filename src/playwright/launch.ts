/**
 * Launching Chromium with the built SSE Connections extension, for a user's
 * own Playwright tests: where the browser and the extension are, and a
 * persistent context (extensions load only into one) whose service worker is
 * up before the test opens its first page.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Worker } from '@playwright/test';

/**
 * The extension this module ships with: `dist/` of the package. The source
 * (`src/playwright/launch.ts`) and the compiled module
 * (`dist-playwright/playwright/launch.js`) both sit two levels below the
 * package root.
 */
export const BUNDLED_EXTENSION_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');

/** Where Debian, Ubuntu, Fedora and Homebrew-less Linux installs put Chromium. */
const SYSTEM_CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

export interface ResolveEnv {
  /** Process environment (default `process.env`). */
  env?: Record<string, string | undefined>;
  /** Does a file exist (default `fs.existsSync`); tests replace it. */
  exists?: (p: string) => boolean;
  /** Playwright's own Chromium (default `chromium.executablePath()`). */
  playwrightChromium?: () => string | undefined;
}

function playwrightChromiumPath(): string | undefined {
  try {
    return chromium.executablePath();
  } catch {
    // Playwright knows no browser of its own here.
    return undefined;
  }
}

/**
 * The Chromium to launch: an explicit path, else `CHROMIUM_PATH`, else the
 * Chromium that `npx playwright install chromium` downloaded, else the
 * system's Chromium. An explicit path or `CHROMIUM_PATH` that does not exist
 * is an error (a typo should not silently pick another browser).
 */
export function resolveChromium(explicit?: string, deps: ResolveEnv = {}): string {
  const env = deps.env ?? process.env;
  const exists = deps.exists ?? existsSync;
  for (const [value, from] of [
    [explicit, 'the executablePath option'],
    [env['CHROMIUM_PATH'], 'CHROMIUM_PATH'],
  ] as const) {
    if (!value) continue;
    if (!exists(value)) throw new Error(`SSE Connections: ${from} points to ${value}, which does not exist.`);
    return value;
  }
  const own = (deps.playwrightChromium ?? playwrightChromiumPath)();
  if (own && exists(own)) return own;
  for (const p of SYSTEM_CHROMIUM) if (exists(p)) return p;
  throw new Error(
    [
      'SSE Connections: no Chromium found to load the extension into.',
      'Install Playwright\'s Chromium with `npx playwright install chromium`,',
      'or set CHROMIUM_PATH to a Chromium binary (on Debian: `apt-get install chromium`, then CHROMIUM_PATH=/usr/bin/chromium).',
      'Branded Google Chrome 137 and later ignores --load-extension, so it cannot be used.',
    ].join(' '),
  );
}

/** The built extension: an explicit directory, else `SSE_CONNECTIONS_DIST`, else the package's `dist/`. */
export function resolveExtensionDir(explicit?: string, deps: Pick<ResolveEnv, 'env' | 'exists'> = {}): string {
  const env = deps.env ?? process.env;
  const exists = deps.exists ?? existsSync;
  const dir = path.resolve(explicit || env['SSE_CONNECTIONS_DIST'] || BUNDLED_EXTENSION_DIR);
  if (!exists(path.join(dir, 'manifest.json'))) {
    const from = explicit ? 'the extensionPath option' : env['SSE_CONNECTIONS_DIST'] ? 'SSE_CONNECTIONS_DIST' : 'the sse-connections package';
    throw new Error(
      `SSE Connections: no built extension at ${dir} (from ${from}): there is no manifest.json. ` +
        'In a checkout of sse-connections run `npm run build`; otherwise point SSE_CONNECTIONS_DIST at the unpacked extension.',
    );
  }
  return dir;
}

export interface LaunchOptions {
  /** Chromium binary; default: see `resolveChromium`. */
  executablePath?: string;
  /** Unpacked extension directory; default: see `resolveExtensionDir`. */
  extensionPath?: string;
  /** Default true. Extensions work in Chromium's (new) headless mode. */
  headless?: boolean;
  /** More Chromium flags. */
  args?: string[];
  /** Passed to `launchPersistentContext` (viewport, baseURL, locale, ...). */
  contextOptions?: Omit<Parameters<typeof chromium.launchPersistentContext>[1], 'headless' | 'executablePath' | 'args'>;
  /** How long to wait for the extension's service worker (default 15 s). */
  startTimeoutMs?: number;
}

export interface LaunchedExtension {
  context: BrowserContext;
  /** The extension's service worker. */
  worker: Worker;
  extensionId: string;
  executablePath: string;
  extensionPath: string;
  close(): Promise<void>;
}

/**
 * Chromium with the extension loaded, in a fresh profile. Extensions load
 * only into a persistent context, so this is one browser per call.
 */
export async function launchWithExtension(options: LaunchOptions = {}): Promise<LaunchedExtension> {
  const executablePath = resolveChromium(options.executablePath);
  const extensionPath = resolveExtensionDir(options.extensionPath);
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'sse-connections-pw-'));
  const cleanup = (): void => rmSync(userDataDir, { recursive: true, force: true });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      ...options.contextOptions,
      headless: options.headless ?? true,
      executablePath,
      args: [`--disable-extensions-except=${extensionPath}`, `--load-extension=${extensionPath}`, ...(options.args ?? [])],
    });
  } catch (err) {
    cleanup();
    throw err;
  }
  const close = async (): Promise<void> => {
    await context.close().catch(() => undefined);
    cleanup();
  };
  try {
    const timeout = options.startTimeoutMs ?? 15_000;
    const worker = context.serviceWorkers().find(isExtensionWorker) ?? (await context.waitForEvent('serviceworker', { predicate: isExtensionWorker, timeout }));
    // One round trip before the first page: without it the worker's
    // webRequest listeners were seen to miss the first page's requests.
    await worker.evaluate(() => 1);
    return { context, worker, extensionId: new URL(worker.url()).host, executablePath, extensionPath, close };
  } catch (err) {
    await close();
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(
      `SSE Connections: ${executablePath} started, but the extension from ${extensionPath} did not (no service worker: ${why}). ` +
        'Branded Google Chrome 137 and later ignores --load-extension: use Chromium (`npx playwright install chromium`) or set CHROMIUM_PATH to one.',
    );
  }
}

function isExtensionWorker(w: Worker): boolean {
  return w.url().startsWith('chrome-extension://');
}
