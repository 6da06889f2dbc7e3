import browser, { type Runtime } from 'webextension-polyfill';

/** Only the extension's own pages (panel, devtools page, options) may ask the worker. */
export function isExtensionPage(sender: Runtime.MessageSender | undefined): boolean {
  const base = browser.runtime.getURL('');
  return sender?.id === browser.runtime.id && typeof sender.url === 'string' && sender.url.startsWith(base);
}
