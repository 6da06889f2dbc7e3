/**
 * The server view's side effects: its settings in browser.storage.sync, the
 * user id from the inspected page's cookie (DevTools only), the request to
 * the monitoring endpoint, and whether the panel is visible. The logic is
 * in `model/server-view.ts`.
 */
import { signal } from '@preact/signals';
import browser from 'webextension-polyfill';
import {
  MAX_BODY_CHARS,
  MAX_USER_ID,
  networkFailure,
  parseServerAnswer,
  readStoredSettings,
  storageKey,
  userIdFromCookie,
  userIdFromUrls,
  validateServerViewSettings,
  type AnswerResult,
  type ServerViewSettings,
} from './model/server-view';
import { devtools, SHOWN_HOOK } from './platform';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

function syncArea(): browser.Storage.StorageArea | undefined {
  return (browser as { storage?: typeof browser.storage }).storage?.sync;
}

export async function loadServerViewSettings(projectKey: string): Promise<ServerViewSettings> {
  const area = syncArea();
  if (!area) return readStoredSettings(undefined);
  const key = storageKey(projectKey);
  const items = await area.get(key);
  return readStoredSettings(items[key]);
}

export async function saveServerViewSettings(projectKey: string, raw: unknown): Promise<{ ok: true; settings: ServerViewSettings } | { ok: false; error: string }> {
  const checked = validateServerViewSettings(raw);
  if (!checked.ok) return checked;
  const area = syncArea();
  if (!area) return { ok: false, error: 'browser.storage.sync is not available here' };
  await area.set({ [storageKey(projectKey)]: checked.settings });
  return checked;
}

// ---------------------------------------------------------------------------
// Visibility: the page's own visibility, and DevTools' panel shown / hidden
// ---------------------------------------------------------------------------


const panelShown = signal(true);
const pageVisible = signal(typeof document === 'undefined' || document.visibilityState === 'visible');
/** The panel can be seen: its page is visible and DevTools shows it. */
export const panelVisible = signal(true);

/** Why the panel counts as hidden (for the status line and tests): DevTools hid it, or its page is hidden. */
export const hiddenBy = signal<'devtools' | 'page' | null>(null);

function updateVisible(): void {
  panelVisible.value = panelShown.value && pageVisible.value;
  hiddenBy.value = !panelShown.value ? 'devtools' : !pageVisible.value ? 'page' : null;
}

export function watchPanelVisibility(): void {
  document.addEventListener('visibilitychange', () => {
    pageVisible.value = document.visibilityState === 'visible';
    updateVisible();
  });
  Object.assign(globalThis, {
    [SHOWN_HOOK]: (shown: unknown) => {
      panelShown.value = shown !== false;
      updateVisible();
    },
  });
  updateVisible();
}

// ---------------------------------------------------------------------------
// The user id
// ---------------------------------------------------------------------------

export type UserIdResult = { ok: true; userId: string; from: string } | { ok: false; message: string };

/** Read `document.cookie` of the inspected page (read only; DevTools only). */
async function inspectedCookie(): Promise<string | null> {
  const d = devtools();
  if (!d) return null;
  const result: unknown = await d.inspectedWindow.eval('document.cookie');
  // The polyfill resolves with [result, exceptionInfo] (Chrome) or the result; Firefox with [result, exceptionInfo].
  const value = Array.isArray(result) ? result[0] : result;
  return typeof value === 'string' ? value : null;
}

export async function resolveUserId(settings: ServerViewSettings, urls: readonly string[]): Promise<UserIdResult> {
  const bounded = (id: string, from: string): UserIdResult =>
    id.length > MAX_USER_ID ? { ok: false, message: `the user id from ${from} is too long` } : { ok: true, userId: id, from };
  switch (settings.userIdFrom) {
    case 'typed':
      return settings.userId.trim() === '' ? { ok: false, message: 'no user id typed in' } : bounded(settings.userId.trim(), 'the settings');
    case 'query': {
      const id = userIdFromUrls(urls, settings.queryParam);
      return id === null
        ? { ok: false, message: `no "${settings.queryParam}" query parameter in the project's connection URLs or the page's URL` }
        : bounded(id, `the "${settings.queryParam}" query parameter`);
    }
    case 'cookie': {
      let cookie: string | null;
      try {
        cookie = await inspectedCookie();
      } catch {
        return { ok: false, message: 'could not read the page\'s cookies' };
      }
      if (cookie === null) return { ok: false, message: 'the page\'s cookies can be read only in the DevTools panel (not when the panel is opened as a tab)' };
      const id = userIdFromCookie(cookie, settings.cookieName);
      return id === null
        ? { ok: false, message: `no "${settings.cookieName}" cookie visible to the page (an HttpOnly cookie cannot be read: type the id in)` }
        : bounded(id, `the "${settings.cookieName}" cookie`);
    }
  }
}

// ---------------------------------------------------------------------------
// The request
// ---------------------------------------------------------------------------

export const REQUEST_TIMEOUT_MS = 8_000;

async function readBounded(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (text.length > MAX_BODY_CHARS) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return text + decoder.decode();
}

/**
 * Ask the monitoring endpoint, from the panel (never from the page): with
 * the browser's cookies for that site where the browser sends them
 * (`credentials: 'include'`), no cache, a timeout. Every failure becomes
 * one `Failure`; nothing throws.
 */
export async function fetchServerList(url: string, outer?: AbortSignal): Promise<AnswerResult> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, REQUEST_TIMEOUT_MS);
  const onOuter = () => controller.abort();
  outer?.addEventListener('abort', onOuter);
  try {
    const response = await fetch(url, {
      credentials: 'include',
      cache: 'no-store',
      headers: { Accept: 'application/json' },
      signal: controller.signal,
    });
    const body = response.ok ? await readBounded(response) : '';
    if (!response.ok) void response.body?.cancel().catch(() => undefined);
    return parseServerAnswer(response.status, response.headers.get('content-type'), body);
  } catch (error) {
    return { ok: false, failure: networkFailure(error, timedOut) };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}
