import browser from 'webextension-polyfill';

/**
 * The tab this panel inspects: from DevTools when it runs as a panel, or from
 * `?tabId=N` when the panel page is opened as an ordinary tab (tests, or a
 * detached view).
 */
export function inspectedTabId(): number | null {
  const devtools = (browser as { devtools?: typeof browser.devtools }).devtools;
  const fromDevtools = devtools?.inspectedWindow?.tabId;
  if (typeof fromDevtools === 'number') return fromDevtools;
  const param = new URLSearchParams(location.search).get('tabId');
  const n = param === null ? NaN : Number(param);
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}
