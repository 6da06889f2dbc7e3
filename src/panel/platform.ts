/**
 * Everything the panel asks of the browser: DevTools theme and reload,
 * runtime requests to the worker, downloads, the clipboard, and response
 * bodies from chrome.devtools.network. Each works, or says why not, when the
 * panel page is opened as an ordinary tab (no chrome.devtools there).
 */
import browser from 'webextension-polyfill';
import type { Settings } from '../shared/protocol';
import { addBody, cutBody, type ResponseBody } from './model/bodies';

type Devtools = typeof browser.devtools;

export function devtools(): Devtools | undefined {
  const d = (browser as { devtools?: Devtools }).devtools;
  return d?.inspectedWindow ? d : undefined;
}

/** DevTools' theme ('dark' or 'light'), or null outside DevTools (then prefers-color-scheme rules). */
export function devtoolsTheme(): 'dark' | 'light' | null {
  const name = devtools()?.panels?.themeName;
  if (name === undefined) return null;
  return name === 'dark' ? 'dark' : 'light';
}

export function applyTheme(): void {
  const apply = (theme: 'dark' | 'light' | null) => {
    if (theme) document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
  };
  apply(devtoolsTheme());
  // Chrome 99+ tells a panel when the user switches DevTools' theme.
  const panels = (globalThis as { chrome?: { devtools?: { panels?: { setThemeChangeHandler?: (cb: (name: string) => void) => void } } } })
    .chrome?.devtools?.panels;
  panels?.setThemeChangeHandler?.((name) => apply(name === 'dark' ? 'dark' : 'light'));
  // Firefox has an event for it.
  const firefoxPanels = devtools()?.panels as { onThemeChanged?: { addListener(cb: (name: string) => void): void } } | undefined;
  firefoxPanels?.onThemeChanged?.addListener((name) => apply(name === 'dark' ? 'dark' : 'light'));
}

export async function reloadInspectedTab(tabId: number | null): Promise<void> {
  const d = devtools();
  if (d) {
    await d.inspectedWindow.reload({});
    return;
  }
  if (tabId === null) throw new Error('no inspected tab');
  await browser.tabs.reload(tabId);
}

export async function clearCapture(tabId: number | null): Promise<void> {
  await browser.runtime.sendMessage(tabId === null ? { kind: 'capture:clear' } : { kind: 'capture:clear', tabId });
}

export async function getSettings(): Promise<Settings> {
  return (await browser.runtime.sendMessage({ kind: 'settings:get' })) as Settings;
}

export async function setSettings(settings: unknown): Promise<unknown> {
  return browser.runtime.sendMessage({ kind: 'settings:set', settings });
}

export function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const a = document.createElement('a');
  a.download = fileName;
  a.href = url; // our own blob: URL, never page data
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Copy text; DevTools panels may refuse the async clipboard, so fall back to a selection copy. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.position = 'fixed';
    area.style.opacity = '0';
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand('copy');
    } catch {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** Name of the function the panel page exposes for the devtools page to hand it response bodies. */
export const BODIES_HOOK = '__sseConnectionsBodies';

/** Name of the function the panel page exposes for the devtools page to say the panel is shown (true) or hidden (false). */
export const SHOWN_HOOK = '__sseConnectionsShown';

interface HarLike {
  request: { url: string };
  response: { status: number };
  startedDateTime: string;
  /**
   * Chrome's HAR entry takes a callback (the polyfill does not wrap these
   * objects); Firefox's returns a promise of [content, encoding].
   */
  getContent(callback?: (content: string | null, encoding: string) => void): PromiseLike<[string | null, string]> | void;
}

/**
 * Keep the bodies of refused responses (status >= 400) while DevTools is
 * open (the devtools page does this from the moment DevTools opens). Returns
 * false outside DevTools, where there is no network API.
 */
export function watchResponseBodies(onBody: (update: (list: readonly ResponseBody[]) => ResponseBody[]) => void): boolean {
  const network = devtools()?.network;
  if (!network) return false;
  network.onRequestFinished.addListener((raw: unknown) => {
    const entry = raw as HarLike;
    const status = entry.response?.status;
    if (typeof status !== 'number' || status < 400) return;
    const url = String(entry.request?.url ?? '');
    const at = Date.parse(entry.startedDateTime);
    let done = false;
    const take = (content: string | null, encoding: string) => {
      if (done) return;
      done = true;
      const text = encoding === 'base64' ? '(binary body not shown)' : typeof content === 'string' ? content : '';
      const { body, truncated } = cutBody(text);
      onBody((list) => addBody(list, { url, status, at: Number.isFinite(at) ? at : Date.now(), body, truncated }));
    };
    try {
      const result = entry.getContent(take);
      if (result && typeof result.then === 'function') {
        result.then(
          (pair) => take(pair?.[0] ?? null, pair?.[1] ?? ''),
          () => undefined,
        );
      }
    } catch {
      // The request is gone (DevTools navigated): no body.
    }
  });
  return true;
}
